using CastingDefects.ML.Data;
using CastingDefects.ML.Evaluation;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Synthetic;
using CastingDefects.ML.Training.Anomaly;
using CastingDefects.ML.Training.MLNet;
using Microsoft.ML;
using SkiaSharp;

namespace CastingDefects.ML.Training.Tests;

/// <summary>
/// The PaDiM detector learns from synthetic good castings only and is judged on castings whose defects it never saw,
/// through the saved model and the core package: ranking (AUROC), the stored threshold, and whether the anomaly map
/// points at the defect the generator drew.
/// </summary>
public class AnomalyDetectionTests
{
    private const int Size = 128;

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }

    private static List<(string Path, bool Defective, IReadOnlyList<SKRect> Regions)> Render(string folder, int seed, int good, int defective)
    {
        var files = new List<(string, bool, IReadOnlyList<SKRect>)>();
        foreach (var (count, isDefect) in new[] { (good, false), (defective, true) })
        {
            string dir = Path.Combine(folder, isDefect ? "def_front" : "ok_front");
            Directory.CreateDirectory(dir);
            for (int i = 0; i < count; i++)
            {
                using var casting = SyntheticCastingGenerator.RenderCasting(seed, i, isDefect, Size);
                string path = Path.Combine(dir, $"{seed}_{i:D3}.png");
                using (var stream = File.Create(path)) casting.Bitmap.Encode(stream, SKEncodedImageFormat.Png, 100);
                files.Add((path, isDefect, casting.DefectRegions.ToList()));
            }
        }
        return files;
    }

    [Fact]
    public void Learns_from_good_castings_only_and_its_map_points_at_defects_it_never_saw()
    {
        using var temp = new TempDir();
        var train = Render(Path.Combine(temp.Path, "train"), seed: 11, good: 60, defective: 0);
        var validation = Render(Path.Combine(temp.Path, "validation"), seed: 12, good: 12, defective: 12);
        var test = Render(Path.Combine(temp.Path, "test"), seed: 13, good: 30, defective: 30);

        var ml = new MLContext(seed: 1);
        var image = CastingImageOptions.Square(Size, grayscale: true);
        // No Label column in the training data: every row is a good part.
        var trainView = ml.Data.LoadFromEnumerable(train.Select(f => new PathRow { ImagePath = f.Path }).ToList());
        var validationView = ImageFolderDataset.Scan(Path.Combine(temp.Path, "validation")).ToDataView(ml);
        var trainer = ml.AnomalyDetection.Trainers.Padim(new PadimOptions { Image = image, Dimensions = 100, ValidationSet = validationView, Threads = 2 });
        var model = ml.Transforms.LoadCastingImages(image).Append(trainer).Fit(trainView);
        string zip = Path.Combine(temp.Path, "anomaly.zip");
        ml.Model.Save(model, trainView.Schema, zip);
        (model as IDisposable)?.Dispose();

        var detector = trainer.Model!;
        Assert.Equal(60, detector.FittedImages);
        Assert.Equal((Size / 8, Size / 8), detector.Grid);
        Assert.Equal(100, detector.Dimensions);
        Assert.Equal(4L * (100 * 256 + 256 * 100 * 100), detector.MemoryBankBytes); // means + one 100x100 inverse per position
        // The threshold separates the validation images as the balanced-accuracy rule says: no cut does better.
        var goodScores = detector.ValidationScores.Where((_, i) => detector.ValidationLabels[i] < 0.5f).ToList();
        var defectScores = detector.ValidationScores.Where((_, i) => detector.ValidationLabels[i] >= 0.5f).ToList();
        double Balanced(float t) => (goodScores.Count(s => s < t) / (double)goodScores.Count + defectScores.Count(s => s >= t) / (double)defectScores.Count) / 2;
        Assert.All(detector.ValidationScores, s => Assert.True(Balanced(s) <= Balanced(detector.Threshold) + 1e-9));

        // Through the saved model with the core package: ML.NET's columns and the ONNX Runtime path agree.
        var loaded = ml.Model.LoadCastingModel(zip);
        var testView = ImageFolderDataset.Scan(Path.Combine(temp.Path, "test")).ToDataView(ml);
        var scores = BinaryScores.Read(loaded.Transform(testView));
        var labels = ImageFolderDataset.Scan(Path.Combine(temp.Path, "test")).Images.Select(i => i.IsDefect).ToArray();
        var metrics = BinaryMetrics.Compute(labels, scores.Probabilities, 0.5f);
        Assert.True(metrics.RocAuc >= 0.9, $"AUROC {metrics.RocAuc:F3}");
        Assert.True(metrics.Accuracy >= 0.8, $"accuracy {metrics.Accuracy:P1}");
        (loaded as IDisposable)?.Dispose();

        using var onnx = CastingOnnxModel.Load(zip, intraOpThreads: 1);
        Assert.True(onnx.IsAnomalyDetector);
        int hits = 0, defective = 0;
        foreach (var (path, isDefect, regions) in test)
        {
            var pixels = CastingImagePreprocessor.Load(path, onnx.Image);
            var map = OcclusionHeatmap.Compute(onnx, pixels); // an anomaly detector answers with its own map
            Assert.Equal(onnx.PredictProbabilities(pixels, 1)[0], map.Probability, 5);
            Assert.Equal(1f, map.Values.Max(), 5);
            if (!isDefect) continue;
            defective++;
            const float margin = 8f / Size; // one feature cell
            if (regions.Any(r => map.PeakX >= (r.Left - margin) * Size && map.PeakX <= (r.Right + margin) * Size
                    && map.PeakY >= (r.Top - margin) * Size && map.PeakY <= (r.Bottom + margin) * Size)) hits++;
        }
        Assert.True(hits >= 0.7 * defective, $"map peak on the drawn defect for {hits} of {defective} defective castings");
    }
}
