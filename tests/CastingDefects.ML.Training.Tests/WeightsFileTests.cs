using CastingDefects.ML.Training.Models;
using CastingDefects.ML.Training.Models.Weights;

namespace CastingDefects.ML.Training.Tests;

public class WeightsFileTests
{
    [Fact]
    public void Weights_are_keyed_by_layer_name_and_files_of_earlier_versions_still_load()
    {
        using var trained = CastingArchitectures.Paper(grayscale: true, imageSize: 64);
        trained.Build(seed: 1);
        using var named = new MemoryStream();
        trained.SaveWeights(named);
        Assert.True(named.ToArray().AsSpan().IndexOf("layers.conv2d."u8) >= 0);
        Assert.True(named.ToArray().AsSpan().IndexOf("blocks.0."u8) < 0);

        // An earlier version wrote the sequential model's layers by position (blocks.0., blocks.1., ...).
        using var positional = new MemoryStream();
        using (var writer = new BinaryWriter(positional, System.Text.Encoding.UTF8, leaveOpen: true)) ModuleWeights.ByPosition(trained).save(writer);
        Assert.True(positional.ToArray().AsSpan().IndexOf("blocks.0."u8) >= 0);

        var expected = StateDict.Get(trained);
        foreach (var file in new[] { named, positional })
        {
            using var fresh = CastingArchitectures.Paper(grayscale: true, imageSize: 64);
            fresh.Build(seed: 2);
            Assert.NotEqual(expected["conv2d.weight"].Values, StateDict.Get(fresh)["conv2d.weight"].Values);
            file.Position = 0;
            fresh.LoadWeights(file);
            var loaded = StateDict.Get(fresh);
            Assert.Equal(expected.Keys.Order(), loaded.Keys.Order());
            foreach (var (key, tensor) in expected) Assert.Equal(tensor.Values, loaded[key].Values);
        }
    }
}
