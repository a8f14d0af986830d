using CastingDefects.ML.Inference;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace CastingDefects.ML.Tests;

/// <summary>
/// Prediction runs a copy of a classifier without its Grad-CAM nodes (ONNX Runtime would run them on every prediction);
/// the copy predicts what the whole network predicts, and heatmaps still come from the whole network.
/// </summary>
public class OnnxOutputPruningTests
{
    private static string Asset(string name) => Path.Combine(AppContext.BaseDirectory, "assets", name);

    private static float[] Image(int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, 64 * 64).Select(_ => (float)random.NextDouble()).ToArray();
    }

    private static float[] Run(byte[] onnx, float[] pixels, string output)
    {
        using var session = new InferenceSession(onnx);
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [1, 1, 64, 64]);
        using var results = session.Run(new RunOptions(), [OnnxContract.InputName], [input], [output]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>
    /// Without the heatmap output the paper CNN keeps its convolutions and head but loses the Grad-CAM nodes (its
    /// MatMuls) and their constants; it computes the same probability; a network without the output, or bytes that
    /// are not ONNX, give nothing to prune.
    /// </summary>
    [Fact]
    public void The_heatmap_nodes_go_and_the_probability_stays()
    {
        byte[] full = File.ReadAllBytes(Asset("paper-gray-64.onnx"));
        var proto = ModelProto.Parser.ParseFrom(full);
        var outputs = proto.Graph.Output.Select(o => o.Name).ToList();
        Assert.Contains(OnnxContract.HeatmapName, outputs);
        var keep = outputs.Where(o => o != OnnxContract.HeatmapName).ToHashSet(StringComparer.Ordinal);

        byte[] pruned = OnnxOutputPruning.Without(full, OnnxContract.HeatmapName)!;
        var graph = ModelProto.Parser.ParseFrom(pruned).Graph;
        Assert.Equal(keep.Order(StringComparer.Ordinal), graph.Output.Select(o => o.Name).Order(StringComparer.Ordinal));
        Assert.Contains(proto.Graph.Node, n => n.OpType == "MatMul");
        Assert.DoesNotContain(graph.Node, n => n.OpType == "MatMul");
        Assert.Equal(proto.Graph.Node.Count(n => n.OpType == "Conv"), graph.Node.Count(n => n.OpType == "Conv"));
        Assert.True(graph.Node.Count < proto.Graph.Node.Count - 10, $"{graph.Node.Count} of {proto.Graph.Node.Count} nodes left");
        var read = graph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        Assert.All(graph.Initializer, t => Assert.Contains(t.Name, read)); // no constant of the heatmap is left behind
        Assert.Equal(ModelProto.Parser.ParseFrom(full).MetadataProps, ModelProto.Parser.ParseFrom(pruned).MetadataProps);

        for (int seed = 0; seed < 3; seed++)
        {
            float[] image = Image(seed);
            Assert.Equal(Run(full, image, OnnxContract.ProbabilityName)[0], Run(pruned, image, OnnxContract.ProbabilityName)[0], 1e-6f);
        }
        Assert.Null(OnnxOutputPruning.Without(pruned, OnnxContract.HeatmapName));
        Assert.Null(OnnxOutputPruning.Without([1, 2, 3], OnnxContract.HeatmapName));
    }

    /// <summary>
    /// <see cref="CastingOnnxModel"/> predicts on the pruned copy and explains with the whole network: its probabilities
    /// and its heatmap (scaled by its maximum) are the whole network's.
    /// </summary>
    [Fact]
    public void The_model_predicts_on_the_copy_and_explains_with_the_whole_network()
    {
        byte[] full = File.ReadAllBytes(Asset("paper-gray-64.onnx"));
        using var model = new CastingOnnxModel(full, intraOpThreads: 1);
        Assert.True(model.HasHeatmap);
        float[] a = Image(1), b = Image(2);
        float[] probabilities = model.PredictProbabilities([.. a, .. b], 2);
        Assert.Equal(Run(full, a, OnnxContract.ProbabilityName)[0], probabilities[0], 1e-6f);
        Assert.Equal(Run(full, b, OnnxContract.ProbabilityName)[0], probabilities[1], 1e-6f);

        var heatmap = model.Heatmap(a);
        float[] map = Run(full, a, OnnxContract.HeatmapName);
        float max = map.Max();
        Assert.True(max > 0);
        Assert.Equal(map.Length, heatmap.Values.Length);
        for (int i = 0; i < map.Length; i++) Assert.Equal(Math.Max(0, map[i] / max), heatmap.Values[i], 1e-5f);
        Assert.Equal(probabilities[0], heatmap.Probability, 1e-6f);
    }
}
