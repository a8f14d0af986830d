using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Synthetic;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Explainability;
using CastingDefects.ML.Training.Models.Applications;
using CastingDefects.ML.Training.Models.Weights;
using CastingDefects.ML.Training.Transfer;
using Microsoft.ML;
using TorchSharp;
using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;
using SkiaSharp;

namespace CastingDefects.ML.Training.Tests;

/// <summary>
/// The heatmaps are checked against where the defect is, not only drawn: synthetic castings whose defects the generator
/// placed (<see cref="SyntheticCasting.DefectRegions"/>), scored by the pointing game of Zhang et al. (2016): a hit when
/// the map's peak lies on a defect, with their tolerance of 15 pixels at 224 (scaled to the image). The sanity check of
/// Adebayo et al. (2018): a map that stays the same when the weights are random explains the image, not the model.
/// </summary>
public class HeatmapTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private sealed record Castings(float[] Pixels, bool[] Labels, IReadOnlyList<SKRect>[] Regions, int Size);

    /// <summary>Gray synthetic castings at <paramref name="size"/>, alternately defective and good, with their defect boxes in pixels.</summary>
    private static Castings Render(int seed, int count, int size)
    {
        var pixels = new float[count * size * size];
        var labels = new bool[count];
        var regions = new IReadOnlyList<SKRect>[count];
        for (int n = 0; n < count; n++)
        {
            labels[n] = n % 2 == 0;
            using var casting = SyntheticCastingGenerator.RenderCasting(seed, n, labels[n], size, defectStrength: 2f);
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++) pixels[(n * size + y) * size + x] = casting.Bitmap.GetPixel(x, y).Red / 255f;
            regions[n] = casting.DefectRegions.Select(r => new SKRect(r.Left * size, r.Top * size, r.Right * size, r.Bottom * size)).ToList();
        }
        return new Castings(pixels, labels, regions, size);
    }

    private static float[] Image(Castings data, int n) => data.Pixels.AsSpan(n * data.Size * data.Size, data.Size * data.Size).ToArray();

    /// <summary>Pointing game: the share of defective images whose map peaks on one of their defects (15 px tolerance at 224).</summary>
    private static double HitRate(Castings data, Func<float[], DefectHeatmap> explain, int images = int.MaxValue)
    {
        float tolerance = 15f * data.Size / 224;
        int hits = 0, defective = 0;
        for (int n = 0; n < data.Labels.Length && defective < images; n++)
        {
            if (!data.Labels[n]) continue;
            var map = explain(Image(data, n));
            defective++;
            float px = map.PeakX + 0.5f, py = map.PeakY + 0.5f;
            if (data.Regions[n].Any(r => px >= r.Left - tolerance && px <= r.Right + tolerance && py >= r.Top - tolerance && py <= r.Bottom + tolerance)) hits++;
        }
        return (double)hits / defective;
    }

    /// <summary>Mean absolute difference between the maps of two models over the defective images.</summary>
    private static double MapChange(Castings data, Func<float[], DefectHeatmap> first, Func<float[], DefectHeatmap> second) =>
        Enumerable.Range(0, data.Labels.Length).Where(n => data.Labels[n])
            .Average(n => first(Image(data, n)).Values.Zip(second(Image(data, n)).Values).Average(p => Math.Abs(p.First - p.Second)));

    /// <summary>The exported map equals the TorchSharp Grad-CAM to 1e-4 on every image; returns the largest difference.</summary>
    private static double AssertParity(Sequential network, CastingOnnxModel exported, Castings data)
    {
        double worst = 0;
        for (int n = 0; n < data.Labels.Length; n++)
        {
            var image = Image(data, n);
            var fromOnnx = exported.Heatmap(image);
            var reference = GradCam.Compute(network, image);
            worst = Math.Max(worst, fromOnnx.Values.Zip(reference.Values).Max(p => Math.Abs(p.First - p.Second)));
            Assert.Equal(reference.Probability, fromOnnx.Probability, 1e-4);
        }
        Assert.True(worst <= 1e-4, $"{network.Name}: the exported heatmap differs from Grad-CAM by {worst:E2}");
        return worst;
    }

    [Fact]
    public void Grad_CAM_of_the_paper_CNN_points_at_the_defects_of_synthetic_castings_and_changes_with_random_weights()
    {
        const int size = 160;
        var train = Render(seed: 1, count: 400, size);
        var test = Render(seed: 2, count: 60, size);
        using var trained = CastingArchitectures.Paper(grayscale: true, imageSize: size);
        trained.Fit(ImageTensorData.FromArrays(new TensorShape(1, size, size), train.Pixels, train.Labels), null, epochs: 12, batchSize: 32,
            options: new FitOptions { Seed = 3, LearningRate = 3e-3 });
        using var model = new CastingOnnxModel(trained.ToOnnx(), intraOpThreads: 1);
        Assert.True(model.HasHeatmap); // exported with its heatmap by default
        var probabilities = model.PredictProbabilities(test.Pixels, test.Labels.Length);
        Assert.True(probabilities.Zip(test.Labels).Count(p => p.First >= 0.5f == p.Second) >= 54, "the model did not learn the defects");
        double hitRate = HitRate(test, model.Heatmap);
        output.WriteLine($"paper CNN {size} px: Grad-CAM pointing game {hitRate:P1}, parity {AssertParity(trained, model, test):E2}");
        Assert.True(hitRate >= 0.8, $"Grad-CAM's peak lay on a defect for {hitRate:P0} of the defective castings");
        using (var occlusionOnly = new CastingOnnxModel(trained.ToOnnx(heatmap: false), intraOpThreads: 1))
        {
            Assert.False(occlusionOnly.HasHeatmap);
            double occlusion = HitRate(test, p => occlusionOnly.Explain(p), images: 12); // falls back to occlusion
            output.WriteLine($"occlusion pointing game (12 images) {occlusion:P1}");
            Assert.True(occlusion >= 0.75, $"occlusion's peak lay on a defect for {occlusion:P0} of the defective castings");
        }

        // Cascading randomisation: first the head, then every layer. Both change the map, and it no longer finds defects.
        using var randomHead = CastingArchitectures.Paper(grayscale: true, imageSize: size);
        randomHead.Build(99);
        var kept = StateDict.Get(trained).Where(kv => !kv.Key.StartsWith("dense", StringComparison.Ordinal)).ToDictionary();
        Assert.Equal(4, StateDict.Load(randomHead, kept).Count); // the two Dense layers' weights and biases stay random
        using var headModel = new CastingOnnxModel(randomHead.ToOnnx(), intraOpThreads: 1);
        using var randomAll = CastingArchitectures.Paper(grayscale: true, imageSize: size);
        randomAll.Build(98);
        using var allModel = new CastingOnnxModel(randomAll.ToOnnx(), intraOpThreads: 1);
        foreach (var (name, random) in new[] { ("head", headModel), ("all layers", allModel) })
        {
            double change = MapChange(test, model.Heatmap, random.Heatmap);
            double randomRate = HitRate(test, random.Heatmap);
            output.WriteLine($"random {name}: map change {change:0.000}, pointing game {randomRate:P1}");
            Assert.True(change >= 0.05, $"randomising the {name} changed the map by {change:0.000} on average");
            Assert.True(randomRate <= hitRate - 0.3, $"with random {name} the map still points at the defects ({randomRate:P0} against {hitRate:P0})");
        }
    }

    [Fact]
    public void Grad_CAM_of_the_ResNet18_transfer_model_points_at_the_defects_and_its_export_matches()
    {
        const int size = 288;
        var train = Render(seed: 1, count: 600, size);
        var test = Render(seed: 2, count: 60, size);
        using var dir = new TempDir();
        var options = new ImageTransferOptions { Image = new() { Width = size, Height = size, Grayscale = true }, Epochs = 30, WorkspacePath = dir.Path, Seed = 3 };
        var result = TransferLearning.Fit(options, ImageTensorData.FromArrays(new TensorShape(1, size, size), train.Pixels, train.Labels), null, classes: 2);
        using var trained = result.Network;
        using var model = new CastingOnnxModel(trained.ToOnnx(), intraOpThreads: 1);
        var probabilities = model.PredictProbabilities(test.Pixels, test.Labels.Length);
        Assert.True(probabilities.Zip(test.Labels).Count(p => p.First >= 0.5f == p.Second) >= 54, "the transfer model did not learn the defects");
        AssertParity(trained, model, new Castings(test.Pixels.AsSpan(0, 8 * size * size).ToArray(), test.Labels[..8], test.Regions[..8], size));

        double hitRate = HitRate(test, model.Heatmap);
        output.WriteLine($"ResNet18 transfer {size} px: Grad-CAM pointing game {hitRate:P1}");
        Assert.True(hitRate >= 0.8, $"Grad-CAM's peak lay on a defect for {hitRate:P0} of the defective castings");

        // The same pretrained backbone with a random head: the map changes and stops finding the defects.
        using var randomHead = PretrainedResNet18.Create(grayscale: true, size, seed: 99);
        using var random = new CastingOnnxModel(randomHead.ToOnnx(), intraOpThreads: 1);
        double change = MapChange(test, model.Heatmap, random.Heatmap);
        double randomRate = HitRate(test, random.Heatmap);
        output.WriteLine($"random head: map change {change:0.000}, pointing game {randomRate:P1}");
        Assert.True(change >= 0.05, $"a random head changed the map by {change:0.000} on average");
        Assert.True(randomRate <= hitRate - 0.3, $"with a random head the map still points at the defects ({randomRate:P0} against {hitRate:P0})");
    }

    /// <summary>ML.NET's input for a preprocessed 64x64 gray image.</summary>
    private sealed class Pixels64
    {
        [Microsoft.ML.Data.VectorType(1, 64, 64)]
        public float[] Features { get; set; } = [];
    }

    [Fact]
    public void The_exported_heatmap_equals_Grad_CAM_for_every_head_and_the_core_package_returns_it()
    {
        var data = Render(seed: 5, count: 12, size: 64);
        // Heads and folds the exporter treats differently: sigmoid and two-unit softmax heads, a K-class head (the
        // predicted class's map), a BatchNormalization folded into a linear last convolution, one carried forward through
        // max pooling into the Dense layer, hidden Dense layers with ReLU and dropout.
        var networks = new List<Sequential>
        {
            CastingArchitectures.Paper(grayscale: true, imageSize: 64),
            CastingArchitectures.Create("paper", grayscale: true, imageSize: 64, head: HeadKind.Softmax2),
            CastingArchitectures.Create("paper", grayscale: true, imageSize: 64, classes: 3),
            new Sequential((1, 64, 64), "linear-conv-bn").Conv2D(8, 3, strides: 2).BatchNormalization().Activation(Activation.ReLU)
                .Conv2D(16, 3, strides: 2, padding: CastingDefects.ML.Training.Layers.Padding.Same).BatchNormalization().GlobalAveragePooling2D()
                .Dense(16, Activation.ReLU).Dropout(0.2).Dense(8, Activation.ReLU).Dense(1, Activation.Sigmoid),
            CastingArchitectures.Create("resnet18", grayscale: true, imageSize: 64),
            CastingArchitectures.Create("mobilenetv2", grayscale: true, imageSize: 64),
            new Sequential((1, 64, 64), "bn-maxpool").Conv2D(8, 5, activation: Activation.ReLU).BatchNormalization().MaxPooling2D(2)
                .GlobalAveragePooling2D().Dense(1, Activation.Sigmoid),
        };
        try
        {
            int seed = 10;
            foreach (var network in networks)
            {
                network.Build(seed++);
                // Random weights, and BatchNormalization statistics and scales away from 0 and 1 (as after training) so that
                // the folds matter.
                using (torch.no_grad())
                    foreach (var (layer, block) in network.Layers.Zip(network.Module.Blocks))
                    {
                        if (layer is BatchNormalization)
                            foreach (var (name, tensor) in block.named_buffers().Concat(block.named_parameters().Select(p => (p.name, (torch.Tensor)p.parameter))))
                            {
                                if (name is "running_var" or "weight") tensor.copy_(torch.rand_like(tensor).mul_(0.8).add_(0.6));
                                else if (name is "running_mean" or "bias") tensor.copy_(torch.rand_like(tensor).mul_(name == "running_mean" ? -0.05 : 0.05));
                            }
                        // Head weights that raise the score (the good logit's row of a two-unit head lowers it): a random head
                        // leaves maps of a few barely positive cells, where float32 rounding of the cancelling sums decides.
                        if (layer is Dense)
                        {
                            var weight = block.named_parameters().Single(p => p.name.EndsWith("weight")).parameter;
                            weight.abs_();
                            if (network.Head == HeadKind.Softmax2 && layer == network.Layers[^1]) weight[0].neg_();
                        }
                    }
                using var model = new CastingOnnxModel(network.ToOnnx(heatmap: true), intraOpThreads: 1);
                var multiclass = network.Head == HeadKind.SoftmaxN;
                if (multiclass) using (var multi = new CastingOnnxModel(network.ToOnnx(["a", "b", "c"], heatmap: true), intraOpThreads: 1))
                    AssertParity(network, multi, data);
                else AssertParity(network, model, data);
                int drawn = Enumerable.Range(0, data.Labels.Length).Count(n => GradCam.Compute(network, Image(data, n)).Values.Max() == 1f);
                Assert.True(drawn >= 3, $"{network.Name}: only {drawn} of the maps are not empty; the comparison would prove little");
            }

            // ML.NET's PredictionEngine over the scoring chain with the core package: the same map as a column.
            var binary = networks[0];
            byte[] onnx = binary.ToOnnx(heatmap: true);
            var ml = new MLContext(seed: 1);
            var image = new CastingImageOptions { Width = 64, Height = 64, Grayscale = true };
            var view = ml.Data.LoadFromEnumerable(new[] { new Pixels64 { Features = Image(data, 0) } });
            var scorer = ml.Transforms.ScoreWithOnnx(onnx, image, heatmap: true).Fit(view);
            try
            {
                var engine = ml.Model.CreatePredictionEngine<Pixels64, CastingHeatmapVerdict>(scorer);
                using var direct = new CastingOnnxModel(onnx, intraOpThreads: 1);
                for (int n = 0; n < 4; n++)
                {
                    var verdict = engine.Predict(new Pixels64 { Features = Image(data, n) });
                    var expected = GradCam.Compute(binary, Image(data, n));
                    Assert.Equal(64 * 64, verdict.Heatmap.Length);
                    Assert.True(verdict.Heatmap.Zip(expected.Values).Max(p => Math.Abs(p.First - p.Second)) <= 1e-4);
                    Assert.Equal(direct.Heatmap(Image(data, n)).Values, verdict.Heatmap);
                    Assert.Equal(expected.Probability, verdict.Probability, 1e-4);
                }
            }
            finally
            {
                scorer.DisposeModel();
            }
            // The multiclass scoring chain: the predicted class's map.
            var threeClasses = networks[2];
            string[] names = ["a", "b", "c"];
            var multiScorer = ml.Transforms.ScoreWithOnnxMulticlass(threeClasses.ToOnnx(names), image, names, heatmap: true).Fit(view);
            try
            {
                var engine = ml.Model.CreatePredictionEngine<Pixels64, CastingClassHeatmapVerdict>(multiScorer);
                for (int n = 0; n < 4; n++)
                {
                    var verdict = engine.Predict(new Pixels64 { Features = Image(data, n) });
                    var expected = GradCam.Compute(threeClasses, Image(data, n));
                    Assert.True(verdict.Heatmap.Zip(expected.Values).Max(p => Math.Abs(p.First - p.Second)) <= 1e-4);
                    Assert.Equal(expected.Probability, verdict.Score.Max(), 1e-4);
                }
            }
            finally
            {
                multiScorer.DisposeModel();
            }
            var refused = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithOnnx(binary.ToOnnx(heatmap: false), image, heatmap: true));
            Assert.Contains("heatmap", refused.Message);
            // Heads without a closed form: exporting the heatmap is refused, naming why, and left out by default; Grad-CAM
            // in the training package still explains them (the last spatial maps before the Flatten).
            using var flattened = new Sequential((1, 64, 64), "flatten-head").Conv2D(8, 5, strides: 2, activation: Activation.ReLU).MaxPooling2D(2)
                .Flatten().Dense(1, Activation.Sigmoid);
            flattened.Build(2);
            using (torch.no_grad()) flattened.Module.Blocks[^1].named_parameters().Single(p => p.name.EndsWith("weight")).parameter.abs_();
            Assert.False(GradCam.IsExportable(flattened, out var why));
            Assert.Contains("GlobalAveragePooling2D", why);
            Assert.Contains("GlobalAveragePooling2D", Assert.Throws<ArgumentException>(() => flattened.ToOnnx(heatmap: true)).Message);
            using (var plain = new CastingOnnxModel(flattened.ToOnnx()))
                Assert.False(plain.HasHeatmap);
            var flatMap = GradCam.Compute(flattened, Image(data, 0));
            Assert.Equal(1f, flatMap.Values.Max());
            Assert.Equal(64 * 64, flatMap.Values.Length);
            using var maxPooled = new Sequential((1, 64, 64), "gmp").Conv2D(8, 3, activation: Activation.ReLU).GlobalMaxPooling2D().Dense(1, Activation.Sigmoid);
            maxPooled.Build(1);
            Assert.False(GradCam.IsExportable(maxPooled, out _));
            Assert.Equal(64 * 64, GradCam.Compute(maxPooled, Image(data, 0)).Values.Length);
        }
        finally
        {
            foreach (var network in networks) network.Dispose();
        }
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
        string sheet = dir.Combine("figure.png");
        (code, var stdout, err) = CliProcess.Run("explain", "--model", model, "--input", data, "--out", output, "--sheet", sheet, "--json");
        Assert.True(code == 0, err);
        using (var figure = SKBitmap.Decode(sheet)) // the first 24 overlays, four 240 px tiles per row with 4 px gaps
            Assert.Equal((4 + 4 * 244, 4 + 6 * 244), (figure.Width, figure.Height));
        using var json = System.Text.Json.JsonDocument.Parse(stdout);
        var images = json.RootElement.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal(32, images.Count);
        Assert.Equal("gradcam", json.RootElement.GetProperty("method").GetString()); // train exports the model's own heatmap
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

        // Occlusion on request: other maps, same files.
        (code, stdout, err) = CliProcess.Run("explain", "--model", model, "--input", data, "--out", dir.Combine("occluded"), "--method", "occlusion", "--json");
        Assert.True(code == 0, err);
        using (var occluded = System.Text.Json.JsonDocument.Parse(stdout))
            Assert.Equal("occlusion", occluded.RootElement.GetProperty("method").GetString());
        Assert.Equal(fromExplain, Directory.GetFiles(dir.Combine("occluded"), "*.png", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir.Combine("occluded"), f)).Order(StringComparer.Ordinal));
        Assert.Contains(fromExplain, f => !File.ReadAllBytes(Path.Combine(output, f)).SequenceEqual(File.ReadAllBytes(dir.Combine("occluded", f))));

        // A missing model is named.
        (code, _, err) = CliProcess.Run("explain", "--model", dir.Combine("missing.zip"), "--input", data, "--out", output);
        Assert.NotEqual(0, code);
        Assert.Contains("missing.zip", err);
    }
}
