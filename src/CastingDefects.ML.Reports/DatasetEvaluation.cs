using CastingDefects.ML.Data;
using CastingDefects.ML.Evaluation.Reports;
using CastingDefects.ML.Inference;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.ML.Evaluation;

/// <summary>A model's scores on a labelled image folder: the report (metrics, curves, gallery) and, for a binary model, its metrics and threshold.</summary>
/// <param name="Report">The evaluation report (write it as HTML with <see cref="EvaluationReport.Write"/>).</param>
/// <param name="Binary">Binary metrics, or null for a multiclass model.</param>
/// <param name="Threshold">The threshold the binary metrics are at, or null.</param>
/// <param name="Notes">How the threshold was chosen, for the report.</param>
public sealed record DatasetEvaluation(EvaluationReport Report, BinaryMetrics? Binary, float? Threshold, IReadOnlyList<string> Notes)
{
    /// <summary>
    /// Metrics of a binary model's scores (<paramref name="scored"/>, one row per image of <paramref name="dataset"/>, in
    /// order) at the model's own threshold, or at <paramref name="threshold"/>, or at the one reaching
    /// <paramref name="targetRecall"/>, or at the one maximising F1 (<paramref name="maxF1"/>) on this data.
    /// </summary>
    public static DatasetEvaluation ForBinary(IDataView scored, ImageFolderDataset dataset, float? threshold = null, double? targetRecall = null, bool maxF1 = false)
    {
        var columns = BinaryScores.Read(scored); // probability and decision of each image from one run of the network
        var probabilities = columns.Probabilities;
        var decisions = columns.PredictedLabels;
        var labels = dataset.Images.Select(i => i.IsDefect).ToArray();
        float stored = ThresholdSelection.Reproducing(probabilities, decisions);
        (float t, string note) = threshold is { } given ? (given, $"Threshold {given:G4} (given); the model's own is {stored:G4}.")
            : targetRecall is { } r ? (ThresholdSelection.ForTargetRecall(labels, probabilities, r), $"Threshold chosen for a defect recall of at least {r:P2} on this data.")
            : maxF1 ? (ThresholdSelection.MaxF1(labels, probabilities), "Threshold chosen to maximise F1 on this data.")
            : (stored, "The model's own threshold.");
        string good = string.Join("+", dataset.Classes.Where(c => c != dataset.PositiveClass));
        var report = EvaluationReport.ForBinary($"{dataset.Images.Count} images", dataset.Images.Select(i => i.Path).ToList(), labels, probabilities, t, good, dataset.PositiveClass ?? "defect");
        return new DatasetEvaluation(report, report.Binary, t, [note]);
    }

    /// <summary>Metrics of a multiclass model's scores: each image gets its most probable class.</summary>
    public static DatasetEvaluation ForMulticlass(IDataView scored, ImageFolderDataset dataset)
    {
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        VBuffer<ReadOnlyMemory<char>> keys = default;
        scored.Schema["PredictedLabel"].GetKeyValues(ref keys);
        var modelClasses = keys.DenseValues().Select(k => k.ToString()).ToList();
        var actual = dataset.Images.Select(i => i.ClassIndex).ToArray();
        var predicted = new int[scores.Length];
        var confidence = new float[scores.Length];
        for (int i = 0; i < scores.Length; i++)
        {
            int best = Array.IndexOf(scores[i], scores[i].Max());
            int index = dataset.Classes.ToList().IndexOf(modelClasses[best]);
            predicted[i] = index >= 0 ? index : throw new InvalidDataException($"The model predicts class '{modelClasses[best]}', which is not a folder of the data ({string.Join(", ", dataset.Classes)}).");
            confidence[i] = scores[i][best];
        }
        var report = EvaluationReport.ForMulticlass($"{dataset.Images.Count} images", dataset.Images.Select(i => i.Path).ToList(), actual, predicted, confidence, dataset.Classes);
        return new DatasetEvaluation(report, null, null, ["Multiclass: each image gets its most probable class."]);
    }
}
