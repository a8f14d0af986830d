namespace CastingDefects.ML.Evaluation;

/// <summary>Binary classification metrics with the defect class positive, and the counts behind them.</summary>
public sealed record BinaryMetrics
{
    /// <summary>Number of samples.</summary>
    public int Count { get; init; }
    /// <summary>Defects predicted defective.</summary>
    public int TruePositives { get; init; }
    /// <summary>Good castings predicted defective.</summary>
    public int FalsePositives { get; init; }
    /// <summary>Good castings predicted good.</summary>
    public int TrueNegatives { get; init; }
    /// <summary>Defects predicted good (the costly error).</summary>
    public int FalseNegatives { get; init; }
    /// <summary>Threshold applied to the probability.</summary>
    public float Threshold { get; init; }
    /// <summary>(TP + TN) / N.</summary>
    public double Accuracy => Count == 0 ? double.NaN : (double)(TruePositives + TrueNegatives) / Count;
    /// <summary>TP / (TP + FP).</summary>
    public double Precision => TruePositives + FalsePositives == 0 ? 0 : (double)TruePositives / (TruePositives + FalsePositives);
    /// <summary>TP / (TP + FN): the share of defects caught.</summary>
    public double Recall => TruePositives + FalseNegatives == 0 ? 0 : (double)TruePositives / (TruePositives + FalseNegatives);
    /// <summary>Harmonic mean of precision and recall.</summary>
    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);
    /// <summary>Area under the ROC curve (ties counted half).</summary>
    public double RocAuc { get; init; }
    /// <summary>Mean binary cross-entropy of the probabilities (natural log, clipped at 1e-7).</summary>
    public double LogLoss { get; init; }

    /// <summary>Confusion matrix, rows = actual, columns = predicted, in the order [good, defect].</summary>
    public int[][] ConfusionMatrix => [[TrueNegatives, FalsePositives], [FalseNegatives, TruePositives]];

    /// <summary>Computes the metrics of <paramref name="probabilities"/> against <paramref name="labels"/> (true = defect).</summary>
    public static BinaryMetrics Compute(IReadOnlyList<bool> labels, IReadOnlyList<float> probabilities, float threshold = 0.5f)
    {
        if (labels.Count != probabilities.Count)
            throw new ArgumentException($"{labels.Count} labels but {probabilities.Count} probabilities.", nameof(probabilities));
        int tp = 0, fp = 0, tn = 0, fn = 0;
        double logLoss = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            bool predicted = probabilities[i] >= threshold;
            if (labels[i]) { if (predicted) tp++; else fn++; }
            else { if (predicted) fp++; else tn++; }
            double p = Math.Clamp(probabilities[i], 1e-7, 1 - 1e-7);
            logLoss -= labels[i] ? Math.Log(p) : Math.Log(1 - p);
        }
        return new BinaryMetrics
        {
            Count = labels.Count, TruePositives = tp, FalsePositives = fp, TrueNegatives = tn, FalseNegatives = fn,
            Threshold = threshold, RocAuc = Auc(labels, probabilities), LogLoss = labels.Count == 0 ? double.NaN : logLoss / labels.Count,
        };
    }

    /// <summary>ROC AUC by the rank-sum (Mann-Whitney) formula; NaN when a class is missing.</summary>
    public static double Auc(IReadOnlyList<bool> labels, IReadOnlyList<float> scores)
    {
        int n = labels.Count;
        var order = Enumerable.Range(0, n).OrderBy(i => scores[i]).ToArray();
        var ranks = new double[n];
        for (int i = 0; i < n;)
        {
            int j = i;
            while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) j++;
            double rank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) ranks[order[k]] = rank;
            i = j + 1;
        }
        long positives = labels.Count(l => l), negatives = n - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        double sum = 0;
        for (int i = 0; i < n; i++) if (labels[i]) sum += ranks[i];
        return (sum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }
}
