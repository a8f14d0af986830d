using CastingDefects.ML.Data;
using CastingDefects.ML.Evaluation;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.MLNet;
using CastingDefects.ML.Training.Models;
using CastingDefects.ML.Training.Workflow;
using Microsoft.ML;

namespace CastingDefects.ML.Training.Tests;

/// <summary>The library's train → save → held-out evaluation workflow (what <c>casting-defects train</c> runs).</summary>
public class ExperimentTests
{
    [Fact]
    public void Experiment_splits_three_ways_saves_together_and_reports_the_saved_models_figures()
    {
        using var dir = new TempDir();
        var dataset = ImageFolderDataset.Scan(EasyImages.Write(dir.Combine("data"), perClass: 40, seed: 2), new ImageFolderOptions { Warning = null });
        string modelPath = dir.Combine("out", "m.zip");
        var lines = new List<string>();
        var ml = new MLContext(seed: 3);
        using var result = CastingExperiment.Run(ml, dataset, new CastingExperimentOptions
        {
            ModelPath = modelPath, TestFraction = 0.25, ValidationFraction = 0.2, Seed = 3, ReportFolder = dir.Combine("report"), Log = lines.Add,
            Trainer = new CastingCnnOptions { Image = CastingImageOptions.Square(64), Epochs = 6, BatchSize = 16, LearningRate = 3e-3 },
            CompanionFiles = (model, search) => [(dir.Combine("out", "m.extra"), s => s.Write(model.OnnxModel))],
        });

        // Test split off first (stratified, 10 of 40 per class), validation from the rest; together they are the data.
        Assert.Equal(20, result.Test!.Images.Images.Count);
        Assert.Equal(12, result.Validation.Images.Images.Count);
        Assert.Equal(48, result.Train.Images.Count);
        var all = result.Train.Images.Concat(result.Validation.Images.Images).Concat(result.Test.Images.Images).Select(i => i.Path).ToList();
        Assert.Equal(dataset.Images.Select(i => i.Path).Order(), all.Order());
        Assert.Contains(lines, l => l.StartsWith("80 images", StringComparison.Ordinal));

        // Model, network, history and the companion file were written together; the ONNX is the fitted one.
        Assert.Equal(result.Classifier.OnnxModel, File.ReadAllBytes(Path.ChangeExtension(modelPath, ".onnx")));
        Assert.Equal(result.Classifier.OnnxModel, File.ReadAllBytes(dir.Combine("out", "m.extra")));
        Assert.True(File.Exists(Path.ChangeExtension(modelPath, ".history.json")));
        Assert.Equal(6, result.Classifier.History.Epochs.Count);

        // The test figures are the saved file's, scored as users score it.
        using var onnx = CastingOnnxModel.Load(modelPath);
        var probabilities = result.Test.Images.Images.Select(i => onnx.Predict(i.Path).Probability).ToArray();
        var expected = BinaryMetrics.Compute(result.Test.Images.Images.Select(i => i.IsDefect).ToArray(), probabilities, onnx.Threshold);
        Assert.Equal(expected.Accuracy, result.Test.Accuracy, 6);
        Assert.True(result.Test.Accuracy >= 0.9, $"test accuracy {result.Test.Accuracy:P1} on easily separated images");
        Assert.NotNull(result.ReportPath);
        Assert.Contains("Held-out test images: 20 of 80", File.ReadAllText(result.ReportPath!));
    }

    [Fact]
    public void Experiment_refuses_bad_splits_by_name_before_training()
    {
        using var dir = new TempDir();
        var dataset = ImageFolderDataset.Scan(EasyImages.Write(dir.Combine("data"), perClass: 3, seed: 2), new ImageFolderOptions { Warning = null });
        var ml = new MLContext(seed: 1);
        var tooLarge = Assert.Throws<ArgumentOutOfRangeException>(() => CastingExperiment.Run(ml, dataset, new CastingExperimentOptions { ModelPath = dir.Combine("m.zip"), TestFraction = 1.5 }));
        Assert.Contains("TestFraction 1.5", tooLarge.Message);
        var empty = Assert.Throws<ArgumentException>(() => CastingExperiment.Run(ml, dataset, new CastingExperimentOptions { ModelPath = dir.Combine("m.zip"), TestFraction = 0.1 }));
        Assert.Contains("ValidationFraction 0.2 leaves 0 of 6 images there, none of class def_front, ok_front", empty.Message);
        Assert.False(File.Exists(dir.Combine("m.zip")));
    }
}
