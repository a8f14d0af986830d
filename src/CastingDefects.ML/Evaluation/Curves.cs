namespace CastingDefects.ML.Evaluation;

/// <summary>ROC and precision-recall curves of defect probabilities, one point per distinct threshold (as scikit-learn's <c>roc_curve</c> and <c>precision_recall_curve</c>).</summary>
public static class Curves
{
    /// <summary>
    /// ROC curve from (0, 0) (threshold +∞) to (1, 1), one point per distinct probability, highest first. Needs both
    /// classes.
    /// </summary>
    public static IReadOnlyList<CurvePoint> Roc(IReadOnlyList<bool> labels, IReadOnlyList<float> probabilities)
    {
        var (positives, negatives, steps) = Sweep(labels, probabilities);
        if (positives == 0 || negatives == 0) throw new ArgumentException("A ROC curve needs defective and good images.", nameof(labels));
        var points = new List<CurvePoint> { new(float.PositiveInfinity, 0, 0, 0, 0) };
        points.AddRange(steps.Select(s => new CurvePoint(s.Threshold, (double)s.Fp / negatives, (double)s.Tp / positives, s.Tp, s.Fp)));
        return points;
    }

    /// <summary>Area under a ROC curve by the trapezoid rule (equals <see cref="BinaryMetrics.Auc"/>, ties counted half).</summary>
    public static double Area(IReadOnlyList<CurvePoint> roc)
    {
        ArgumentNullException.ThrowIfNull(roc);
        double area = 0;
        for (int i = 1; i < roc.Count; i++) area += (roc[i].X - roc[i - 1].X) * (roc[i].Y + roc[i - 1].Y) / 2;
        return area;
    }

    /// <summary>
    /// Precision-recall curve, one point per distinct probability, highest threshold first (recall rising), ending at
    /// recall 1. Precision is TP / (TP + FP) at each threshold.
    /// </summary>
    public static IReadOnlyList<CurvePoint> PrecisionRecall(IReadOnlyList<bool> labels, IReadOnlyList<float> probabilities)
    {
        var (positives, _, steps) = Sweep(labels, probabilities);
        if (positives == 0) throw new ArgumentException("A precision-recall curve needs defective images.", nameof(labels));
        return steps.Select(s => new CurvePoint(s.Threshold, (double)s.Tp / positives, (double)s.Tp / (s.Tp + s.Fp), s.Tp, s.Fp)).ToList();
    }

    /// <summary>Average precision: Σ (R_n − R_{n−1}) P_n over the precision-recall curve (scikit-learn's definition).</summary>
    public static double AveragePrecision(IReadOnlyList<CurvePoint> precisionRecall)
    {
        ArgumentNullException.ThrowIfNull(precisionRecall);
        double ap = 0, previousRecall = 0;
        foreach (var p in precisionRecall)
        {
            ap += (p.X - previousRecall) * p.Y;
            previousRecall = p.X;
        }
        return ap;
    }

    private static (int Positives, int Negatives, List<(float Threshold, int Tp, int Fp)> Steps) Sweep(IReadOnlyList<bool> labels, IReadOnlyList<float> probabilities)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(probabilities);
        if (labels.Count != probabilities.Count) throw new ArgumentException($"{labels.Count} labels but {probabilities.Count} probabilities.", nameof(probabilities));
        var order = Enumerable.Range(0, labels.Count).OrderByDescending(i => probabilities[i]).ToArray();
        int positives = labels.Count(l => l), negatives = labels.Count - positives;
        var steps = new List<(float, int, int)>();
        int tp = 0, fp = 0;
        for (int i = 0; i < order.Length; i++)
        {
            if (labels[order[i]]) tp++; else fp++;
            if (i + 1 == order.Length || probabilities[order[i + 1]] != probabilities[order[i]])
                steps.Add((probabilities[order[i]], tp, fp));
        }
        return (positives, negatives, steps);
    }
}
