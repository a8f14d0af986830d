using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.ML.Tests;

/// <summary>
/// Prediction with the core package only. The model in assets/ was trained by this library on synthetic castings
/// (paper-gray at 64x64, `casting-defects train --image-size 64`); this test project does not reference TorchSharp.
/// </summary>
public class CorePredictionTests
{
    private static string Asset(string name) => Path.Combine(AppContext.BaseDirectory, "assets", name);

    [Fact]
    public void Zip_through_mlnet_and_onnx_through_onnxruntime_agree_and_libtorch_is_never_loaded()
    {
        using var dir = new TempDir();
        string data = TestImages.Dataset(dir, defective: 6, good: 6, size: 96, seed: 21);
        var files = Directory.GetFiles(data, "*.jpeg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();

        var ml = new MLContext(0);
        var model = ml.Model.LoadCastingModel(Asset("paper-gray-64.zip"));
        using var engine = ml.Model.CreatePredictionEngine<CastingImage, CastingVerdict>(model);
        using var onnx = CastingOnnxModel.Load(Asset("paper-gray-64.onnx"), intraOpThreads: 1);
        Assert.Equal((64, 64, 1), (onnx.Image.Width, onnx.Image.Height, onnx.Image.Channels));
        Assert.Equal("paper-gray", onnx.Architecture);
        var distinct = new HashSet<float>();
        foreach (var file in files)
        {
            var a = engine.Predict(new CastingImage { ImagePath = file });
            var b = onnx.Predict(file);
            Assert.Equal(1 / (1 + Math.Exp(-a.Score)), a.Probability, 4); // the probability is the sigmoid of the logit
            Assert.Equal(a.Probability, b.Probability, 5);
            Assert.Equal(a.PredictedLabel, b.PredictedLabel);
            Assert.Equal(a.Probability >= 0.5f, a.PredictedLabel);
            distinct.Add(MathF.Round(a.Probability, 5));
        }
        Assert.True(distinct.Count > 1, "the model gives every image the same probability");

        // The heatmap the network computes itself, through ONNX Runtime and through ML.NET's PredictionEngine.
        Assert.True(onnx.HasHeatmap);
        var scorer = ml.Transforms.ScoreWithOnnx(File.ReadAllBytes(Asset("paper-gray-64.onnx")), onnx.Image, heatmap: true);
        var pixels = ml.Transforms.LoadCastingImages(onnx.Image);
        var explained = pixels.Append(scorer).Fit(ml.Data.LoadFromEnumerable(new[] { new CastingImage { ImagePath = files[0] } }));
        try
        {
            using var heatmaps = ml.Model.CreatePredictionEngine<CastingImage, CastingHeatmapVerdict>(explained);
            foreach (var file in files.Take(4))
            {
                var map = onnx.Explain(file);
                Assert.Equal(64 * 64, map.Values.Length);
                Assert.Equal(1f, map.Values.Max()); // scaled to its maximum, not empty
                var verdict = heatmaps.Predict(new CastingImage { ImagePath = file });
                Assert.Equal(map.Probability, verdict.Probability, 5);
                Assert.True(map.Values.Zip(verdict.Heatmap).Max(p => Math.Abs(p.First - p.Second)) <= 1e-4);
            }
        }
        finally
        {
            explained.DisposeModel();
        }

        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), asm => asm.GetName().Name!.StartsWith("TorchSharp", StringComparison.Ordinal));
        if (File.Exists("/proc/self/maps")) Assert.DoesNotContain("libtorch", File.ReadAllText("/proc/self/maps"));
    }

    [Fact]
    public void Predict_files_batches_a_folder_and_reports_unreadable_files_without_stopping()
    {
        using var dir = new TempDir();
        string data = TestImages.Dataset(dir, defective: 5, good: 5, size: 96, seed: 22);
        var files = Directory.GetFiles(data, "*.jpeg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        string corrupt = dir.Combine("corrupt.jpeg");
        File.WriteAllBytes(corrupt, [0xFF, 0xD8, 0xFF, 0x00, 1, 2, 3]);
        files.Insert(3, corrupt);
        using var onnx = CastingOnnxModel.Load(Asset("paper-gray-64.onnx"), intraOpThreads: 1);
        var done = new List<int>();
        var results = onnx.PredictFiles(files, batchSize: 4, progress: new SyncProgress(done.Add));
        Assert.Equal(files, results.Select(r => r.Path));
        Assert.Equal([4, 8, 11], done);
        Assert.Null(results[3].Verdict);
        Assert.Contains("corrupt.jpeg", results[3].Error);
        for (int i = 0; i < files.Count; i++)
        {
            if (i == 3) continue;
            Assert.Null(results[i].Error);
            var single = onnx.Predict(files[i]);
            Assert.Equal(single.Probability, results[i].Verdict!.Probability, 5);
            Assert.Equal(single.PredictedLabel, results[i].Verdict!.PredictedLabel);
        }
    }

    [Fact]
    public void A_batch_split_into_cache_sized_calls_on_one_thread_gives_every_image_its_own_probability()
    {
        // 64x64 images: 16 per call on one thread, so 37 images run as 16 + 16 + 5; with two threads in one call.
        using var dir = new TempDir();
        string data = TestImages.Dataset(dir, defective: 19, good: 18, size: 96, seed: 23);
        var files = Directory.GetFiles(data, "*.jpeg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(37, files.Length);
        var pixels = files.SelectMany(f => CastingImagePreprocessor.Load(f, CastingImageOptions.Square(64))).ToArray();
        using var oneThread = CastingOnnxModel.Load(Asset("paper-gray-64.onnx"), intraOpThreads: 1);
        using var twoThreads = CastingOnnxModel.Load(Asset("paper-gray-64.onnx"), intraOpThreads: 2);
        var tiled = oneThread.PredictProbabilities(pixels, 37);
        var whole = twoThreads.PredictProbabilities(pixels, 37);
        Assert.Equal(37, tiled.Length);
        for (int n = 0; n < 37; n++)
        {
            float alone = oneThread.PredictProbabilities(pixels.AsSpan(n * 64 * 64, 64 * 64).ToArray(), 1)[0];
            Assert.Equal(alone, tiled[n], 1e-5f);
            Assert.Equal(alone, whole[n], 1e-5f);
        }
        Assert.True(tiled.Distinct().Count() > 30, "the images got the same probabilities: the calls were not kept apart");
    }

    private sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }

    [Theory]
    [InlineData(true, 150, 120)]
    [InlineData(false, 150, 120)]
    [InlineData(true, 300, 300)] // same size as the images: the preprocessor skips the resize
    [InlineData(false, 300, 300)]
    public void Preprocessor_gives_exactly_the_mlnet_pipelines_pixels(bool grayscale, int width, int height)
    {
        using var dir = new TempDir();
        string data = TestImages.Dataset(dir, defective: 2, good: 2, size: 300, seed: 5);
        string png = dir.Combine("wide.png");
        File.WriteAllBytes(png, TestImages.Png(90, 40, new SkiaSharp.SKColor(200, 100, 50)));
        var files = Directory.GetFiles(data, "*.jpeg", SearchOption.AllDirectories).Append(png).ToArray();
        var options = new CastingImageOptions { Width = width, Height = height, Grayscale = grayscale };
        var ml = new MLContext(0);
        var view = ml.Data.LoadFromEnumerable(files.Select(f => new ImageFolderRow { ImagePath = f }));
        var expected = ml.Transforms.LoadCastingImages(options).Fit(view).Transform(view).GetColumn<float[]>("Features").ToArray();
        for (int i = 0; i < files.Length; i++)
            Assert.Equal(expected[i], CastingImagePreprocessor.Load(files[i], options));
    }

    [Fact]
    public void Mismatched_input_and_bad_onnx_files_are_refused_clearly()
    {
        using var onnx = CastingOnnxModel.Load(Asset("paper-gray-64.onnx"));
        var e = Assert.Throws<ArgumentException>(() => onnx.PredictProbabilities(new float[3 * 64 * 64], 1));
        Assert.Contains("1x64x64", e.Message);
        Assert.Contains("12288", e.Message);

        using var dir = new TempDir();
        string truncated = dir.Combine("cut.onnx");
        var bytes = File.ReadAllBytes(Asset("paper-gray-64.onnx"));
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 3)]);
        Assert.Contains(truncated, Assert.Throws<InvalidDataException>(() => CastingOnnxModel.Load(truncated)).Message);
        string missing = dir.Combine("none.onnx");
        Assert.Throws<FileNotFoundException>(() => CastingOnnxModel.Load(missing));

        string truncatedZip = dir.Combine("cut.zip");
        var zip = File.ReadAllBytes(Asset("paper-gray-64.zip"));
        File.WriteAllBytes(truncatedZip, zip[..(zip.Length / 2)]);
        Assert.Contains(truncatedZip, Assert.Throws<InvalidDataException>(() => new MLContext().Model.LoadCastingModel(truncatedZip)).Message);
    }
}
