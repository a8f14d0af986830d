namespace CastingDefects.ML.Evaluation;

/// <summary>Precision, recall and F1 of one class (one-vs-rest), with its support, or an average over classes.</summary>
/// <param name="Name">Class name, or "macro avg" / "weighted avg".</param>
/// <param name="Precision">Of the images predicted as this class, the share that are.</param>
/// <param name="Recall">Of the images of this class, the share found.</param>
/// <param name="F1">Harmonic mean of precision and recall.</param>
/// <param name="Support">Images of this class (for averages: all images).</param>
/// <param name="TruePositives">Images of this class predicted as it (0 for averages).</param>
/// <param name="Predicted">Images predicted as this class (0 for averages).</param>
public sealed record ClassMetrics(string Name, double Precision, double Recall, double F1, int Support, int TruePositives, int Predicted);
