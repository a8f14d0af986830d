namespace CastingDefects.ML.Evaluation;

/// <summary>
/// Chooses the decision threshold on the defect probability. Missing a defective casting usually costs more than
/// rejecting a good one, so the usual choice is the highest threshold that still catches a target share of defects.
/// </summary>
public static class ThresholdSelection
{
    /// <summary>
    /// The highest threshold whose defect recall is at least <paramref name="targetRecall"/> (so precision is as high
    /// as that recall allows). Thresholds are the observed probabilities; ties are kept together.
    /// </summary>
    public static float ForTargetRecall(IReadOnlyList<bool> labels, IReadOnlyList<float> probabilities, double targetRecall)
    {
        if (targetRecall is <= 0 or > 1 || double.IsNaN(targetRecall))
            throw new ArgumentOutOfRangeException(nameof(targetRecall), targetRecall, "The target recall must be in (0, 1].");
        Check(labels, probabilities);
        int positives = labels.Count(l => l);
        if (positives == 0) throw new ArgumentException("No defect samples: recall is undefined.", nameof(labels));
        int needed = (int)Math.Ceiling(targetRecall * positives - 1e-9);
        // Walk the defect probabilities from high to low; the needed-th one is the threshold.
        var defectScores = labels.Select((l, i) => (l, p: probabilities[i])).Where(x => x.l).Select(x => x.p).OrderByDescending(p => p).ToArray();
        return defectScores[Math.Max(needed, 1) - 1];
    }

    /// <summary>The threshold (an observed probability) that maximises F1 of the defect class.</summary>
    public static float MaxF1(IReadOnlyList<bool> labels, IReadOnlyList<float> probabilities)
    {
        Check(labels, probabilities);
        int positives = labels.Count(l => l);
        if (positives == 0) throw new ArgumentException("No defect samples: F1 is undefined.", nameof(labels));
        var order = Enumerable.Range(0, labels.Count).OrderByDescending(i => probabilities[i]).ToArray();
        int tp = 0, fp = 0;
        double bestF1 = -1;
        float best = 0.5f;
        for (int k = 0; k < order.Length; k++)
        {
            if (labels[order[k]]) tp++; else fp++;
            if (k + 1 < order.Length && probabilities[order[k + 1]] == probabilities[order[k]]) continue; // keep ties together
            double f1 = 2.0 * tp / (2.0 * tp + fp + (positives - tp));
            if (f1 > bestF1) { bestF1 = f1; best = probabilities[order[k]]; }
        }
        return best;
    }

    /// <summary>
    /// A threshold that reproduces a model's own decisions (<c>PredictedLabel</c>) exactly: the lowest probability it
    /// called defective. Evaluating at it gives the metrics of the threshold stored in the model. Throws when the
    /// decisions cannot come from one threshold.
    /// </summary>
    public static float Reproducing(IReadOnlyList<float> probabilities, IReadOnlyList<bool> decisions)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(decisions);
        if (probabilities.Count != decisions.Count) throw new ArgumentException($"{probabilities.Count} probabilities but {decisions.Count} decisions.", nameof(decisions));
        float lowestPositive = float.PositiveInfinity, highestNegative = float.NegativeInfinity;
        for (int i = 0; i < probabilities.Count; i++)
        {
            if (decisions[i]) lowestPositive = Math.Min(lowestPositive, probabilities[i]);
            else highestNegative = Math.Max(highestNegative, probabilities[i]);
        }
        if (highestNegative >= lowestPositive)
            throw new ArgumentException("The decisions are not a threshold on the probabilities.", nameof(decisions));
        // No positive decision: any threshold above every probability (0.5 when that is one).
        return float.IsPositiveInfinity(lowestPositive) ? Math.Max(0.5f, MathF.BitIncrement(highestNegative)) : lowestPositive;
    }

    private static void Check(IReadOnlyList<bool> labels, IReadOnlyList<float> probabilities)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(probabilities);
        if (labels.Count != probabilities.Count) throw new ArgumentException($"{labels.Count} labels but {probabilities.Count} probabilities.", nameof(probabilities));
    }
}
