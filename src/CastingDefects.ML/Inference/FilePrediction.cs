namespace CastingDefects.ML.Inference;

/// <summary>The classification of one image file, or why there is none.</summary>
/// <param name="Path">The image file.</param>
/// <param name="Classification">The prediction (binary: OK/NG and the defect probability; multiclass: the class and every class's probability), or null when the file could not be read.</param>
/// <param name="Error">Why the file could not be read (unreadable, corrupt, too large), or null.</param>
public sealed record FilePrediction(string Path, ImageClassification? Classification, string? Error)
{
    /// <summary>A binary model's prediction in ML.NET's columns (Score, Probability, PredictedLabel); null for a multiclass model or an unreadable file.</summary>
    public CastingVerdict? Verdict => Classification is { Threshold: { } threshold, Probability: var p }
        ? new CastingVerdict { Probability = p, Score = MathF.Log(p / (1 - p)), PredictedLabel = p >= threshold }
        : null;
}
