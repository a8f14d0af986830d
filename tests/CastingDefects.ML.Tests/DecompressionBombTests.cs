using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using Microsoft.ML;

namespace CastingDefects.ML.Tests;

/// <summary>
/// Every public path that decodes an image refuses a decompression bomb from its header, with the file's name, before
/// a pixel buffer exists. Without the guard these tests allocate tens of gigabytes (the process is killed), so they
/// fail loudly rather than quietly.
/// </summary>
public class DecompressionBombTests
{
    private static string Asset(string name) => Path.Combine(AppContext.BaseDirectory, "assets", name);

    private static byte[] JpegClaiming(int size) => BombImages.JpegClaiming(size);

    private static (string JpegBomb, string PngBomb, string Good) Files(TempDir dir)
    {
        string jpeg = dir.Combine("jpeg_bomb.jpg"), png = dir.Combine("png_bomb.png"), good = dir.Combine("good.jpg");
        File.WriteAllBytes(jpeg, JpegClaiming(60000));
        File.WriteAllBytes(png, TestImages.PngHeaderClaiming(100000, 100000));
        File.WriteAllBytes(good, TestImages.Jpeg(seed: 4));
        return (jpeg, png, good);
    }

    [Fact]
    public void A_header_claiming_far_more_pixels_than_the_file_holds_is_refused_even_under_the_pixel_limit()
    {
        using var dir = new TempDir();
        string path = dir.Combine("claims_6000.jpg");
        File.WriteAllBytes(path, JpegClaiming(6000)); // 36 megapixels (under the 64 MP limit) in a few KB
        var e = Assert.Throws<InvalidDataException>(() => ImageGuard.Check(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("6000x6000", e.Message);
        Assert.Contains("decompression bomb", e.Message);
        Assert.False(ImageProbe.Probe(path).IsReadable);
        // A real image of the same kind passes.
        File.WriteAllBytes(dir.Combine("ok.jpg"), TestImages.Jpeg(seed: 5, size: 300));
        Assert.Null(ImageGuard.Inspect(dir.Combine("ok.jpg")));
    }

    [Fact]
    public void Onnx_runtime_paths_refuse_bombs_per_file_and_classify_the_rest()
    {
        using var dir = new TempDir();
        var (jpeg, png, good) = Files(dir);
        using var model = CastingOnnxModel.Load(Asset("paper-gray-64.onnx"), intraOpThreads: 1);
        var results = model.PredictFiles([jpeg, png, good], batchSize: 4);
        Assert.Contains(jpeg, results[0].Error);
        Assert.Contains("60000x60000", results[0].Error);
        Assert.Contains(png, results[1].Error);
        Assert.Contains("100000x100000", results[1].Error);
        Assert.Null(results[2].Error);
        Assert.NotNull(results[2].Verdict);
        var single = Assert.Throws<InvalidDataException>(() => model.Predict(jpeg));
        Assert.Contains(jpeg, single.Message);
    }

    [Fact]
    public void Mlnet_paths_refuse_bombs_with_the_file_name_for_old_and_new_models()
    {
        using var dir = new TempDir();
        var (jpeg, png, good) = Files(dir);
        var ml = new MLContext(0);
        // A model saved before the guard existed (kept as it was saved then): LoadCastingModel puts the guard in front.
        var loaded = ml.Model.LoadCastingModel(Asset("paper-gray-64-before-guard.zip"));
        using var engine = ml.Model.CreatePredictionEngine<CastingImage, CastingVerdict>(loaded);
        using (var onnx = CastingOnnxModel.Load(Asset("paper-gray-64-before-guard.zip"), intraOpThreads: 1)) // the guard changes no verdict
            Assert.Equal(onnx.Predict(good).Probability, engine.Predict(new CastingImage { ImagePath = good }).Probability, 5);
        foreach (var bomb in new[] { jpeg, png })
        {
            var e = Assert.ThrowsAny<Exception>(() => engine.Predict(new CastingImage { ImagePath = bomb }));
            Assert.Contains(bomb, Flatten(e));
        }

        // A model saved now carries the guard in its transforms, so loading it adds none (headers are read once).
        string saved = dir.Combine("guarded.zip");
        var input = ml.Data.LoadFromEnumerable(new[] { new CastingImage { ImagePath = good } });
        var pipeline = ml.Transforms.LoadCastingImages(CastingImageOptions.Square(64))
            .Append(ml.Transforms.ScoreWithOnnx(File.ReadAllBytes(Asset("paper-gray-64.onnx")), CastingImageOptions.Square(64)));
        ml.Model.SaveCastingModel(pipeline.Fit(input), input.Schema, saved);
        Assert.True(ZipHoldsGuard(saved));
        Assert.False(ZipHoldsGuard(Asset("paper-gray-64-before-guard.zip")));
        Assert.True(ZipHoldsGuard(Asset("paper-gray-64.zip"))); // written by train today
        var reloaded = ml.Model.LoadCastingModel(saved);
        Assert.DoesNotContain("CustomMapping", FirstStep(reloaded));   // not wrapped again ...
        Assert.Contains("CustomMapping", FirstStep(loaded));          // ... as the old model is
        using (var guardedEngine = ml.Model.CreatePredictionEngine<CastingImage, CastingVerdict>(reloaded))
        {
            var e = Assert.ThrowsAny<Exception>(() => guardedEngine.Predict(new CastingImage { ImagePath = jpeg }));
            Assert.Contains(jpeg, Flatten(e));
        }

        // The transforms of a new pipeline carry the guard themselves.
        var view = ml.Data.LoadFromEnumerable(new[] { new CastingImage { ImagePath = jpeg } });
        var transformed = ml.Transforms.LoadCastingImages(CastingImageOptions.Square(64)).Fit(view).Transform(view);
        var error = Assert.ThrowsAny<Exception>(() => transformed.Preview());
        Assert.Contains(jpeg, Flatten(error));
    }

    private static string FirstStep(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.First().GetType().Name : model.GetType().Name;

    private static bool ZipHoldsGuard(string path)
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(path);
        return zip.Entries.Any(entry =>
        {
            using var s = entry.Open();
            using var m = new MemoryStream();
            s.CopyTo(m);
            return CastingModelCatalog.HoldsGuard(m.ToArray());
        });
    }

    private static string Flatten(Exception e) => e.InnerException is null ? e.Message : e.Message + " | " + Flatten(e.InnerException);
}
