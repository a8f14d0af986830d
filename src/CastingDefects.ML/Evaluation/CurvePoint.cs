namespace CastingDefects.ML.Evaluation;

/// <summary>One point of a ROC or precision-recall curve.</summary>
/// <param name="Threshold">Images with a probability at or above this are predicted defective.</param>
/// <param name="X">False positive rate (ROC) or recall (PR).</param>
/// <param name="Y">True positive rate (ROC) or precision (PR).</param>
/// <param name="TruePositives">Defects at or above the threshold.</param>
/// <param name="FalsePositives">Good castings at or above the threshold.</param>
public sealed record CurvePoint(float Threshold, double X, double Y, int TruePositives, int FalsePositives);
