using System.CommandLine;
using CastingDefects.ML.Data;
using CastingDefects.ML.Evaluation;
using CastingDefects.ML.Inference;
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
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("evaluate", "Evaluate a saved model on a labelled folder: accuracy, precision, recall, F1 (defect positive), ROC AUC, confusion matrix.")
            { model, data, threshold, targetRecall, json };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var mlContext = new MLContext(0);
            var transformer = mlContext.Model.LoadCastingModel(parse.GetValue(model)!);
            var dataset = ImageFolderDataset.Scan(parse.GetValue(data)!);
            var scored = transformer.Transform(dataset.ToDataView(mlContext));
            var probabilities = scored.GetColumn<float>("Probability").ToArray();
            var decisions = scored.GetColumn<bool>("PredictedLabel").ToArray();
            var labels = dataset.Images.Select(i => i.IsDefect).ToArray();
            if (parse.GetValue(threshold) is not null && parse.GetValue(targetRecall) is not null)
                throw new ArgumentException("Give --threshold or --target-recall, not both.");
            float t = parse.GetValue(threshold)
                ?? (parse.GetValue(targetRecall) is { } r ? ThresholdSelection.ForTargetRecall(labels, probabilities, r) : ThresholdSelection.Reproducing(probabilities, decisions));
            var m = BinaryMetrics.Compute(labels, probabilities, t);
            if (parse.GetValue(json))
                CliJson.Print(new
                {
                    count = m.Count, accuracy = m.Accuracy, precision = m.Precision, recall = m.Recall, f1 = m.F1, roc_auc = m.RocAuc, log_loss = m.LogLoss,
                    threshold = m.Threshold,
                    confusion_matrix = new { labels = new[] { Good(dataset), dataset.PositiveClass }, rows = m.ConfusionMatrix },
                    skipped = dataset.Skipped.Select(s => new { path = s.Path, reason = s.Reason }),
                });
            else
            {
                Console.WriteLine($"{m.Count} images, threshold {m.Threshold:G3}");
                Console.WriteLine($"accuracy {m.Accuracy:P2}  precision {m.Precision:P2}  recall {m.Recall:P2}  F1 {m.F1:P2}  ROC AUC {m.RocAuc:F4}  log loss {m.LogLoss:F4}");
                Console.WriteLine($"confusion matrix (rows = actual): {Good(dataset)}: [{m.TrueNegatives}, {m.FalsePositives}]  {dataset.PositiveClass}: [{m.FalseNegatives}, {m.TruePositives}]");
            }
            return 0;
        }));
        return command;
    }

    private static string Good(ImageFolderDataset dataset) => string.Join("+", dataset.Classes.Where(c => c != dataset.PositiveClass));
}
