using System.Globalization;
using System.Text;

namespace CastingDefects.ML.Evaluation;

/// <summary>
/// Per-class precision, recall, F1 and support, their macro and weighted averages (the paper's Table 2 reports
/// weighted averages), accuracy and the confusion matrix: scikit-learn's <c>classification_report</c>, for two or more
/// classes. A class never predicted has precision 0; a class without images has recall 0 (scikit-learn's
/// <c>zero_division=0</c>).
/// </summary>
public sealed class ClassificationReport
{
    private ClassificationReport(IReadOnlyList<string> classes, int[][] confusion)
    {
        Classes = classes;
        ConfusionMatrix = confusion;
        int k = classes.Count;
        Count = confusion.Sum(r => r.Sum());
        int correct = Enumerable.Range(0, k).Sum(i => confusion[i][i]);
        Accuracy = Count == 0 ? double.NaN : (double)correct / Count;
        var perClass = new List<ClassMetrics>();
        for (int c = 0; c < k; c++)
        {
            int tp = confusion[c][c], support = confusion[c].Sum(), predicted = Enumerable.Range(0, k).Sum(r => confusion[r][c]);
            double precision = predicted == 0 ? 0 : (double)tp / predicted, recall = support == 0 ? 0 : (double)tp / support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass.Add(new ClassMetrics(classes[c], precision, recall, f1, support, tp, predicted));
        }
        PerClass = perClass;
        MacroAverage = new ClassMetrics("macro avg", perClass.Average(m => m.Precision), perClass.Average(m => m.Recall), perClass.Average(m => m.F1), Count, 0, 0);
        double Weighted(Func<ClassMetrics, double> f) => Count == 0 ? 0 : perClass.Sum(m => f(m) * m.Support) / Count;
        WeightedAverage = new ClassMetrics("weighted avg", Weighted(m => m.Precision), Weighted(m => m.Recall), Weighted(m => m.F1), Count, 0, 0);
    }

    /// <summary>Class names, in index order.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Confusion matrix: rows = actual class, columns = predicted class.</summary>
    public int[][] ConfusionMatrix { get; }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Share of images predicted as their class.</summary>
    public double Accuracy { get; }

    /// <summary>One row per class.</summary>
    public IReadOnlyList<ClassMetrics> PerClass { get; }

    /// <summary>Unweighted mean over classes.</summary>
    public ClassMetrics MacroAverage { get; }

    /// <summary>Mean over classes weighted by support (the paper's Table 2).</summary>
    public ClassMetrics WeightedAverage { get; }

    /// <summary>The report of actual and predicted class indices (0 … classes-1).</summary>
    public static ClassificationReport Compute(IReadOnlyList<int> actual, IReadOnlyList<int> predicted, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(classNames);
        if (actual.Count != predicted.Count) throw new ArgumentException($"{actual.Count} labels but {predicted.Count} predictions.", nameof(predicted));
        int k = classNames.Count;
        if (k < 2) throw new ArgumentException("A classification report needs at least two classes.", nameof(classNames));
        var confusion = Enumerable.Range(0, k).Select(_ => new int[k]).ToArray();
        for (int i = 0; i < actual.Count; i++)
        {
            if ((uint)actual[i] >= k || (uint)predicted[i] >= k)
                throw new ArgumentOutOfRangeException(nameof(actual), $"Row {i}: class index {actual[i]} or {predicted[i]} is outside 0..{k - 1}.");
            confusion[actual[i]][predicted[i]]++;
        }
        return new ClassificationReport(classNames, confusion);
    }

    /// <summary>The two-class report of binary metrics: class 0 is good, class 1 the defect.</summary>
    public static ClassificationReport FromBinary(BinaryMetrics metrics, string goodClass = "ok", string defectClass = "defect")
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return new ClassificationReport([goodClass, defectClass], metrics.ConfusionMatrix);
    }

    /// <summary>The report as text, laid out like scikit-learn's.</summary>
    public override string ToString()
    {
        var ci = CultureInfo.InvariantCulture;
        int width = Math.Max(12, Classes.Max(c => c.Length) + 2);
        var sb = new StringBuilder();
        sb.AppendLine("".PadLeft(width) + "precision".PadLeft(10) + "recall".PadLeft(10) + "f1-score".PadLeft(10) + "support".PadLeft(10));
        foreach (var m in PerClass) sb.AppendLine(ci, $"{m.Name.PadLeft(width)}{m.Precision,10:F4}{m.Recall,10:F4}{m.F1,10:F4}{m.Support,10}");
        sb.AppendLine();
        sb.AppendLine(ci, $"{"accuracy".PadLeft(width)}{"",10}{"",10}{Accuracy,10:F4}{Count,10}");
        foreach (var m in new[] { MacroAverage, WeightedAverage })
            sb.AppendLine(ci, $"{m.Name.PadLeft(width)}{m.Precision,10:F4}{m.Recall,10:F4}{m.F1,10:F4}{m.Support,10}");
        return sb.ToString();
    }
}
