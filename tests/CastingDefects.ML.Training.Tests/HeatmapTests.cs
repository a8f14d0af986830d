using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;
using SkiaSharp;

namespace CastingDefects.ML.Training.Tests;

/// <summary>
/// The heatmaps are checked against where the defect is, not only drawn: 128x128 gray images of an unevenly lit, noisy
/// surface; defective ones carry a dark disc whose centre the test knows. The sanity check of Adebayo et al. (2018): a
/// map that stays the same when the weights are random explains the image, not the model.
/// </summary>
public class HeatmapTests
{
    private const int Size = 128;

    private static (float[] Pixels, bool[] Labels, (int X, int Y, int R)?[] Discs) Discs(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new float[count * Size * Size];
        var labels = new bool[count];
        var discs = new (int, int, int)?[count];
        for (int n = 0; n < count; n++)
        {
            int offset = n * Size * Size;
            float level = 0.45f + (float)random.NextDouble() * 0.2f, slope = (float)(random.NextDouble() - 0.5) * 0.002f;
            for (int y = 0; y < Size; y++)
                for (int x = 0; x < Size; x++)
                    pixels[offset + y * Size + x] = level + slope * (x + y) + (float)(random.NextDouble() - 0.5) * 0.12f;
            labels[n] = n % 2 == 0;
            if (!labels[n]) continue;
            int r = random.Next(6, 10), cx = random.Next(16, Size - 16), cy = random.Next(16, Size - 16);
            for (int y = cy - r; y <= cy + r; y++)
                for (int x = cx - r; x <= cx + r; x++)
                    if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) pixels[offset + y * Size + x] = level - 0.3f;
            discs[n] = (cx, cy, r);
        }
        return (pixels, labels, discs);
    }

    private static (double HitRate, List<DefectHeatmap> Maps) Explain(Sequential network, float[] pixels, (int X, int Y, int R)?[] discs)
    {
        using var model = new CastingOnnxModel(network.ToOnnx(), intraOpThreads: 1);
        int hits = 0, defective = 0;
        var maps = new List<DefectHeatmap>();
        for (int n = 0; n < discs.Length; n++)
        {
            if (discs[n] is not { } d) continue;
            var map = OcclusionHeatmap.Compute(model, pixels.AsSpan(n * Size * Size, Size * Size).ToArray());
            maps.Add(map);
            defective++;
            if ((map.PeakX - d.X) * (map.PeakX - d.X) + (map.PeakY - d.Y) * (map.PeakY - d.Y) <= d.R * d.R) hits++; // on the disc itself
        }
        return ((double)hits / defective, maps);
    }

    [Fact]
    public void The_heatmap_of_the_deployed_model_peaks_on_the_defect_and_changes_when_the_weights_are_random()
    {
        var shape = new TensorShape(1, Size, Size);
        var (trainPixels, trainLabels, _) = Discs(480, seed: 1);
        var (testPixels, testLabels, discs) = Discs(40, seed: 2);
        using var trained = CastingArchitectures.Paper(grayscale: true, imageSize: Size);
        trained.Fit(ImageTensorData.FromArrays(shape, trainPixels, trainLabels), null, epochs: 10, batchSize: 32, options: new FitOptions { Seed = 3, LearningRate = 3e-3 });

        var (hitRate, maps) = Explain(trained, testPixels, discs);
        Assert.True(hitRate >= 0.8, $"the heatmap's peak lay on the disc for {hitRate:P0} of the defective images");
        Assert.All(maps, m => Assert.Equal(1f, m.Values.Max())); // scaled to a maximum of 1
        Assert.True(maps.Count(m => m.Probability >= 0.5f) >= 18, "the model missed most discs"); // the defects were seen

        using var random = CastingArchitectures.Paper(grayscale: true, imageSize: Size);
        random.Build(99);
        var (randomRate, randomMaps) = Explain(random, testPixels, discs);
        Assert.True(randomRate <= hitRate - 0.4, $"random weights still point at the discs ({randomRate:P0} against {hitRate:P0})");
        double sameCells = maps.Zip(randomMaps).Average(p => p.First.Values.Zip(p.Second.Values).Count(v => Math.Abs(v.First - v.Second) < 0.1) / (double)(Size * Size));
        Assert.True(sameCells < 0.9, $"{sameCells:P0} of the map is unchanged by random weights");
    }

    [Fact]
    public void A_patch_larger_than_the_image_or_a_wrong_size_image_is_refused()
    {
        using var network = CastingArchitectures.Paper(grayscale: true, imageSize: 64);
        network.Build(1);
        using var model = new CastingOnnxModel(network.ToOnnx());
        Assert.Throws<ArgumentOutOfRangeException>(() => OcclusionHeatmap.Compute(model, new float[64 * 64], patchSize: 65));
        var e = Assert.Throws<ArgumentException>(() => OcclusionHeatmap.Compute(model, new float[32 * 32]));
        Assert.Contains("1x64x64", e.Message);

        // The overlay reads the original image again: its header is checked first, as for prediction.
        using var dir = new TempDir();
        string bomb = dir.Combine("bomb.png");
        File.WriteAllBytes(bomb, CastingDefects.ML.Testing.BombImages.PngClaiming(200_000, 200_000));
        var map = new DefectHeatmap(64, 64, new float[64 * 64], 0.5f, 32, 32);
        var refused = Assert.Throws<InvalidDataException>(() => HeatmapOverlay.RenderPng(bomb, map, "NG"));
        Assert.Contains("bomb.png", refused.Message);
    }

    [Fact]
    public void Explain_writes_one_overlay_per_image_at_its_own_size_with_the_peak_inside_it()
    {
        using var dir = new TempDir();
        string data = EasyImages.Write(dir.Combine("data"), perClass: 16, seed: 4);
        string model = dir.Combine("m", "m.zip");
        var (code, _, err) = CliProcess.Run("train", "--data", data, "--out", model, "--image-size", "64", "--epochs", "2", "--json");
        Assert.True(code == 0, err);
        string output = dir.Combine("explained");
        (code, var stdout, err) = CliProcess.Run("explain", "--model", model, "--input", data, "--out", output, "--json");
        Assert.True(code == 0, err);
        using var json = System.Text.Json.JsonDocument.Parse(stdout);
        var images = json.RootElement.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal(32, images.Count);
        foreach (var image in images)
        {
            string source = image.GetProperty("path").GetString()!, heatmap = image.GetProperty("heatmap").GetString()!;
            // Named after the image, in the same subfolder (def_front/, ok_front/) under --out.
            Assert.Equal(Path.Combine(output, Path.GetRelativePath(data, Path.ChangeExtension(source, null)) + ".heatmap.png"), heatmap);
            using var overlay = SKBitmap.Decode(heatmap);
            using var original = SKBitmap.Decode(source);
            Assert.Equal((original.Width, original.Height), (overlay.Width, overlay.Height));
            Assert.InRange(image.GetProperty("peak_x").GetInt32(), 0, original.Width - 1);
            Assert.InRange(image.GetProperty("peak_y").GetInt32(), 0, original.Height - 1);
            Assert.Equal(image.GetProperty("probability").GetSingle() >= json.RootElement.GetProperty("threshold").GetSingle() ? "NG" : "OK", image.GetProperty("verdict").GetString());
        }

        // predict --heatmaps writes the same overlays beside its CSV.
        string during = dir.Combine("during-predict");
        (code, _, err) = CliProcess.Run("predict", "--model", model, "--input", data, "--out", dir.Combine("p.csv"), "--heatmaps", during);
        Assert.True(code == 0, err);
        var fromExplain = Directory.GetFiles(output, "*.png", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(output, f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(fromExplain, Directory.GetFiles(during, "*.png", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(during, f)).Order(StringComparer.Ordinal));
        Assert.All(fromExplain, f => Assert.Equal(File.ReadAllBytes(Path.Combine(output, f)), File.ReadAllBytes(Path.Combine(during, f))));

        // A missing model is named.
        (code, _, err) = CliProcess.Run("explain", "--model", dir.Combine("missing.zip"), "--input", data, "--out", output);
        Assert.NotEqual(0, code);
        Assert.Contains("missing.zip", err);
    }
}
