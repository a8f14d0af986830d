namespace CastingDefects.ML.Evaluation.Reports;

/// <summary>One evaluated image.</summary>
/// <param name="Path">Image file.</param>
/// <param name="Actual">Actual class index.</param>
/// <param name="Predicted">Predicted class index.</param>
/// <param name="Probability">Probability of the defect class (binary) or of the predicted class (multiclass).</param>
public sealed record ScoredImage(string Path, int Actual, int Predicted, float Probability)
{
    /// <summary>True when the prediction is wrong.</summary>
    public bool IsError => Actual != Predicted;
}
