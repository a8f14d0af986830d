namespace CastingDefects.ML.Evaluation.Reports;

/// <summary>Another evaluation shown side by side (for example the same model on an augmented copy of the test set, the paper's Table 6).</summary>
/// <param name="Name">What was evaluated.</param>
/// <param name="Report">Its metrics.</param>
public sealed record ReportComparison(string Name, ClassificationReport Report);
