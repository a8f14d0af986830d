using System.CommandLine;
using System.Text.Json;
using CastingDefects.ML.Augmentation;
using CastingDefects.ML.Data;
using CastingDefects.ML.Evaluation;
using CastingDefects.ML.Evaluation.Reports;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.Export;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.Cli;

internal static class EvaluateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model file (.zip) written by train", Required = true };
        var data = new Option<string>("--data") { Description = "Folder with one subfolder per class", Required = true };
        var threshold = new Option<float?>("--threshold") { Description = "Decision threshold on the defect probability (default: the model's)" };
        var targetRecall = new Option<double?>("--target-recall") { Description = "Evaluate at the highest threshold whose defect recall on this data reaches this value (reported)" };
        var maxF1 = new Option<bool>("--max-f1") { Description = "Evaluate at the threshold that maximises F1 on this data" };
        var saveModel = new Option<string?>("--save-model") { Description = "Write a copy of the model with the chosen threshold stored in it (prediction then uses it)" };
        var report = new Option<string?>("--report") { Description = "Write an HTML report (plus PNG charts and report.md) into this folder" };
        var augmented = new Option<bool>("--augmented") { Description = "Also evaluate on an augmented copy of the data (the paper's augmentation, Table 6) and report both side by side" };
        var seed = new Option<int>("--seed") { Description = "Seed of the augmented copy", DefaultValueFactory = _ => 42 };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("evaluate", "Evaluate a saved model on a labelled folder: per-class, macro and weighted precision, recall and F1, ROC AUC, confusion matrix; optionally an HTML report.")
            { model, data, threshold, targetRecall, maxF1, saveModel, report, augmented, seed, json };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            string modelPath = Path.GetFullPath(parse.GetValue(model)!);
            if (parse.GetValue(threshold) is { } given && !(given >= 0 && given <= 1))
                throw new ArgumentException($"--threshold {given}: a threshold is a probability between 0 and 1.");
            if (parse.GetValue(targetRecall) is { } wanted && !(wanted > 0 && wanted <= 1))
                throw new ArgumentException($"--target-recall {wanted}: a recall is between 0 (exclusive) and 1.");
            OutputPaths.NotInside(parse.GetValue(saveModel), "--save-model", parse.GetValue(data));
            OutputPaths.NotInside(parse.GetValue(report), "--report", parse.GetValue(data));
            OutputPaths.WritableFile(parse.GetValue(saveModel), "--save-model");
            OutputPaths.WritableFolder(parse.GetValue(report), "--report");
            var mlContext = new MLContext(0);
            var transformer = mlContext.Model.LoadCastingModel(modelPath);
            using var release = new ModelRelease(transformer);
            var dataset = ImageFolderDataset.Scan(parse.GetValue(data)!);
            int choices = (parse.GetValue(threshold) is null ? 0 : 1) + (parse.GetValue(targetRecall) is null ? 0 : 1) + (parse.GetValue(maxF1) ? 1 : 0);
            if (choices > 1) throw new ArgumentException("Give one of --threshold, --target-recall and --max-f1.");
            var scored = transformer.Transform(dataset.ToDataView(mlContext));
            bool binary = scored.Schema.GetColumnOrNull("Probability") is not null;
            if (!binary && (choices > 0 || parse.GetValue(saveModel) is not null))
                throw new ArgumentException("This is a multiclass model: it predicts the most probable class, there is no threshold to choose (--threshold, --target-recall, --max-f1, --save-model).");

            var result = binary ? DatasetEvaluation.ForBinary(scored, dataset, parse.GetValue(threshold), parse.GetValue(targetRecall), parse.GetValue(maxF1))
                : DatasetEvaluation.ForMulticlass(scored, dataset);
            var comparisons = new List<ReportComparison>();
            if (parse.GetValue(augmented))
            {
                string copy = Path.Combine(Path.GetTempPath(), $"casting-defects-augmented-{Environment.ProcessId}");
                try
                {
                    var augmentedSet = dataset.WriteAugmentedCopy(copy, ImageAugmentation.Paper, parse.GetValue(seed));
                    var augmentedScored = transformer.Transform(augmentedSet.ToDataView(mlContext));
                    var other = binary ? DatasetEvaluation.ForBinary(augmentedScored, augmentedSet, result.Threshold, null, false) : DatasetEvaluation.ForMulticlass(augmentedScored, augmentedSet);
                    comparisons.Add(new ReportComparison("augmented copy (the paper's augmentation)", other.Report.Metrics));
                }
                finally
                {
                    try { Directory.Delete(copy, recursive: true); } catch (IOException) { }
                }
            }
            string? savedModel = null;
            if (parse.GetValue(saveModel) is { } target && result.Threshold is { } chosen)
            {
                ModelThreshold.Write(modelPath, chosen, target);
                savedModel = Path.GetFullPath(target);
            }
            string? html = null;
            if (parse.GetValue(report) is { } folder)
            {
                result.Report.Comparisons = comparisons;
                result.Report.Notes = [$"Model: {modelPath}", $"Data: {Path.GetFullPath(parse.GetValue(data)!)}", .. result.Notes];
                result.Report.Training = ReadHistory(modelPath);
                using var overlays = ReportOverlays.Attach(result.Report, modelPath, !binary);
                html = result.Report.Write(folder);
            }
            var m = result.Report.Metrics;
            if (parse.GetValue(json))
                CliJson.Print(new
                {
                    count = m.Count, accuracy = m.Accuracy,
                    precision = result.Binary?.Precision, recall = result.Binary?.Recall, f1 = result.Binary?.F1,
                    roc_auc = result.Binary?.RocAuc, log_loss = result.Binary?.LogLoss, threshold = result.Threshold,
                    confusion_matrix = new { labels = m.Classes, rows = m.ConfusionMatrix },
                    per_class = m.PerClass.Select(Row), macro_avg = Row(m.MacroAverage), weighted_avg = Row(m.WeightedAverage),
                    augmented = comparisons.Select(c => new { name = c.Name, count = c.Report.Count, accuracy = c.Report.Accuracy, weighted_avg = Row(c.Report.WeightedAverage) }),
                    report = html, saved_model = savedModel,
                    skipped = dataset.Skipped.Select(s => new { path = s.Path, reason = s.Reason }),
                });
            else
            {
                Console.WriteLine($"{m.Count} images" + (result.Threshold is { } t ? $", threshold {t:G4}" : ""));
                if (result.Binary is { } b)
                    Console.WriteLine($"accuracy {b.Accuracy:P2}  precision {b.Precision:P2}  recall {b.Recall:P2}  F1 {b.F1:P2}  ROC AUC {b.RocAuc:F4}  log loss {b.LogLoss:F4}");
                Console.Write(m.ToString());
                Console.WriteLine("confusion matrix (rows = actual): " + string.Join("  ", m.Classes.Select((c, i) => $"{c}: [{string.Join(", ", m.ConfusionMatrix[i])}]")));
                foreach (var c in comparisons) Console.WriteLine($"{c.Name}: accuracy {c.Report.Accuracy:P2}, weighted F1 {c.Report.WeightedAverage.F1:P2}");
                if (savedModel is not null) Console.WriteLine($"saved {savedModel} with threshold {result.Threshold:G6}");
                if (html is not null) Console.WriteLine($"report: {html}");
            }
            return 0;
        }));
        return command;
    }

    private static object Row(ClassMetrics c) => new { name = c.Name, precision = c.Precision, recall = c.Recall, f1 = c.F1, support = c.Support };

    /// <summary>The training history train writes beside the model (<c>model.history.json</c>), if any; an unreadable one is skipped with a warning.</summary>
    internal static IReadOnlyList<TrainingCurve> ReadHistory(string modelPath)
    {
        try
        {
            return TrainingHistoryFile.Read(modelPath);
        }
        catch (InvalidDataException e)
        {
            Console.Error.WriteLine($"warning: {e.Message} The report has no training curves.");
            return [];
        }
    }
}
