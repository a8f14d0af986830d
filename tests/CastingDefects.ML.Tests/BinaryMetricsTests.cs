using CastingDefects.ML.Evaluation;

namespace CastingDefects.ML.Tests;

public class BinaryMetricsTests
{
    [Fact]
    public void Metrics_match_hand_computed_values()
    {
        // 10 samples: 6 defects, 4 good. At 0.5: TP 4, FN 2, FP 1, TN 3.
        bool[] labels = [true, true, true, true, true, true, false, false, false, false];
        float[] p = [0.9f, 0.8f, 0.7f, 0.6f, 0.4f, 0.3f, 0.55f, 0.2f, 0.1f, 0.05f];
        var m = BinaryMetrics.Compute(labels, p);
        Assert.Equal((4, 2, 1, 3), (m.TruePositives, m.FalseNegatives, m.FalsePositives, m.TrueNegatives));
        Assert.Equal(0.7, m.Accuracy, 12);
        Assert.Equal(0.8, m.Precision, 12);
        Assert.Equal(4.0 / 6, m.Recall, 12);
        Assert.Equal(2 * 0.8 * (4.0 / 6) / (0.8 + 4.0 / 6), m.F1, 12);
        // AUC: pairs (defect, good) ranked correctly. Defect 0.4 and 0.3 lose to good 0.55 only: 24 pairs, 2 wrong.
        Assert.Equal(22.0 / 24, m.RocAuc, 12);
        double expectedLogLoss = -(Math.Log(0.9) + Math.Log(0.8) + Math.Log(0.7) + Math.Log(0.6) + Math.Log(0.4) + Math.Log(0.3)
            + Math.Log(0.45) + Math.Log(0.8) + Math.Log(0.9) + Math.Log(0.95)) / 10;
        Assert.Equal(expectedLogLoss, m.LogLoss, 6);
        Assert.Equal([[3, 1], [2, 4]], m.ConfusionMatrix);
    }

    [Fact]
    public void Ties_count_half_in_auc()
    {
        Assert.Equal(0.5, BinaryMetrics.Auc([true, false], [0.5f, 0.5f]), 12);
        Assert.True(double.IsNaN(BinaryMetrics.Auc([true, true], [0.1f, 0.2f])));
    }
}

public class ThresholdSelectionTests
{
    // Defects at 0.9 0.8 0.7 0.6 0.4 0.3; good at 0.55 0.2 0.1 0.05 (the set of BinaryMetricsTests).
    private static readonly bool[] Labels = [true, true, true, true, true, true, false, false, false, false];
    private static readonly float[] P = [0.9f, 0.8f, 0.7f, 0.6f, 0.4f, 0.3f, 0.55f, 0.2f, 0.1f, 0.05f];

    [Theory]
    [InlineData(1.0, 0.3f)]       // catch all 6 defects
    [InlineData(0.8, 0.4f)]       // 5 of 6 = 83% >= 80%
    [InlineData(0.5, 0.7f)]       // 3 of 6
    [InlineData(0.1, 0.9f)]
    public void Target_recall_gives_the_highest_threshold_that_reaches_it(double target, float expected)
    {
        float t = ThresholdSelection.ForTargetRecall(Labels, P, target);
        Assert.Equal(expected, t);
        var m = BinaryMetrics.Compute(Labels, P, t);
        Assert.True(m.Recall >= target - 1e-12);
    }

    [Fact]
    public void Max_f1_is_found_by_hand()
    {
        // Thresholds 0.6: TP4 FP0 FN2 -> F1 0.8; 0.55: TP4 FP1 -> 0.727; 0.3: TP6 FP1 -> 0.923; 0.2: TP6 FP2 -> 0.857.
        Assert.Equal(0.3f, ThresholdSelection.MaxF1(Labels, P));
        Assert.Equal(12.0 / 13, BinaryMetrics.Compute(Labels, P, 0.3f).F1, 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => ThresholdSelection.ForTargetRecall(Labels, P, 1.5));
    }

    [Fact]
    public void Reproducing_recovers_a_stored_threshold_below_one_half()
    {
        // A model that stored 0.3 (as --target-recall may): decisions straddle 0.5, so 0.5 would be wrong.
        bool[] decisions = P.Select(p => p >= 0.3f).ToArray();
        float t = ThresholdSelection.Reproducing(P, decisions);
        Assert.Equal(0.3f, t);
        Assert.Equal(decisions, P.Select(p => p >= t));
        Assert.Equal(0.5f, ThresholdSelection.Reproducing([0.1f, 0.2f], [false, false]));
        Assert.Throws<ArgumentException>(() => ThresholdSelection.Reproducing([0.1f, 0.9f], [true, false]));
    }
}
