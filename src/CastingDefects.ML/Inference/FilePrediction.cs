namespace CastingDefects.ML.Inference;

/// <summary>The verdict for one image file, or why there is none.</summary>
/// <param name="Path">The image file.</param>
/// <param name="Verdict">The prediction, or null when the file could not be read.</param>
/// <param name="Error">Why the file could not be read (unreadable, corrupt, too large), or null.</param>
public sealed record FilePrediction(string Path, CastingVerdict? Verdict, string? Error);
