using CastingDefects.ML.Evaluation;

namespace CastingDefects.ML.Tests;

/// <summary>Every figure checked against values worked out by hand on small fixed sets.</summary>
public class ClassificationReportTests
{
    // Ten images: four defects, six good. Threshold 0.5 predicts [1,1,0,1,1,0,0,0,1,0]: TP 3, FN 1, FP 2, TN 4.
    private static readonly bool[] Labels = [true, true, true, true, false, false, false, false, false, false];
    private static readonly float[] Probabilities = [0.9f, 0.8f, 0.4f, 0.7f, 0.6f, 0.2f, 0.1f, 0.3f, 0.55f, 0.05f];

    [Fact]
    public void Binary_report_has_per_class_macro_and_weighted_figures()
    {
        var binary = BinaryMetrics.Compute(Labels, Probabilities, 0.5f);
        Assert.Equal((3, 1, 2, 4), (binary.TruePositives, binary.FalseNegatives, binary.FalsePositives, binary.TrueNegatives));
        Assert.Equal(22.0 / 24, binary.RocAuc, 12); // 22 of the 24 (defect, good) pairs are ordered correctly
        Assert.Equal(0.40527404761751684, binary.LogLoss, 6); // the float probabilities (0.9f) differ from 0.9 in the 8th digit

        var report = ClassificationReport.FromBinary(binary, "ok_front", "def_front");
        Assert.Equal(0.7, report.Accuracy, 12);
        var good = report.PerClass[0];
        var defect = report.PerClass[1];
        Assert.Equal(("ok_front", 4.0 / 5, 4.0 / 6, 6, 4, 5), (good.Name, good.Precision, good.Recall, good.Support, good.TruePositives, good.Predicted));
        Assert.Equal(2 * 0.8 * (4.0 / 6) / (0.8 + 4.0 / 6), good.F1, 12);
        Assert.Equal((3.0 / 5, 3.0 / 4, 4), (defect.Precision, defect.Recall, defect.Support));
        Assert.Equal(2 * 0.6 * 0.75 / 1.35, defect.F1, 12);
        Assert.Equal(0.7, report.MacroAverage.Precision, 12);
        Assert.Equal((0.75 + 4.0 / 6) / 2, report.MacroAverage.Recall, 12);
        Assert.Equal((0.8 * 6 + 0.6 * 4) / 10, report.WeightedAverage.Precision, 12);
        Assert.Equal(0.7, report.WeightedAverage.Recall, 12); // weighted recall is accuracy
        Assert.Equal((good.F1 * 6 + defect.F1 * 4) / 10, report.WeightedAverage.F1, 12);
        Assert.Equal([[4, 2], [1, 3]], report.ConfusionMatrix);
        Assert.Contains("weighted avg", report.ToString());
    }

    [Fact]
    public void Multiclass_report_matches_hand_counts()
    {
        int[] actual = [0, 0, 0, 1, 1, 2, 2, 2, 2];
        int[] predicted = [0, 0, 1, 1, 2, 2, 2, 2, 0];
        var report = ClassificationReport.Compute(actual, predicted, ["a", "b", "c"]);
        Assert.Equal([[2, 1, 0], [0, 1, 1], [1, 0, 3]], report.ConfusionMatrix);
        Assert.Equal(6.0 / 9, report.Accuracy, 12);
        Assert.Equal([2.0 / 3, 0.5, 0.75], report.PerClass.Select(c => c.Precision).ToArray());
        Assert.Equal([2.0 / 3, 0.5, 0.75], report.PerClass.Select(c => c.Recall).ToArray());
        Assert.Equal((2.0 / 3 + 0.5 + 0.75) / 3, report.MacroAverage.F1, 12);
        Assert.Equal((2.0 / 3 * 3 + 0.5 * 2 + 0.75 * 4) / 9, report.WeightedAverage.Precision, 12);
        var never = ClassificationReport.Compute([0, 1, 2], [0, 0, 0], ["a", "b", "c"]);
        Assert.Equal(0, never.PerClass[1].Precision); // never predicted: precision 0 (scikit-learn's zero_division=0)
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationReport.Compute([0, 3], [0, 0], ["a", "b", "c"]));
    }

    [Fact]
    public void Roc_and_precision_recall_curves_match_hand_sweeps()
    {
        var roc = Curves.Roc(Labels, Probabilities);
        Assert.Equal(11, roc.Count); // (0, 0) then one point per distinct probability
        Assert.Equal((0.0, 0.75), (roc[3].X, roc[3].Y)); // three defects above 0.6
        Assert.Equal((2.0 / 6, 1.0), (roc[6].X, roc[6].Y)); // at 0.4 every defect is caught, two good castings rejected
        Assert.Equal(0.4f, roc[6].Threshold);
        Assert.Equal(22.0 / 24, Curves.Area(roc), 12);
        Assert.Equal(BinaryMetrics.Auc(Labels, Probabilities), Curves.Area(roc), 12);

        var pr = Curves.PrecisionRecall(Labels, Probabilities);
        Assert.Equal((0.75, 0.6), (pr[4].X, pr[4].Y)); // threshold 0.55: 3 TP, 2 FP
        Assert.Equal((1.0, 4.0 / 6), (pr[5].X, pr[5].Y));
        Assert.Equal(0.75 + 0.25 * 4 / 6, Curves.AveragePrecision(pr), 12);

        var tied = Curves.Roc([true, false, true, false], [0.5f, 0.5f, 0.9f, 0.1f]);
        Assert.Equal(0.875, Curves.Area(tied), 12); // a tie counts half, as the rank-sum AUC
        Assert.Throws<ArgumentException>(() => Curves.Roc([true, true], [0.1f, 0.2f]));
    }
}
