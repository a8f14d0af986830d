namespace CastingDefects.ML.Inference;

/// <summary>
/// Output of a <c>PredictionEngine</c> over a multiclass model (three or more class folders): ML.NET's multiclass
/// columns. The class names are the key values of the model's <c>PredictedLabel</c> column, in <see cref="Score"/> order.
/// </summary>
public sealed class CastingClassVerdict
{
    /// <summary>Probability of each class, in the order of the model's classes.</summary>
    public float[] Score { get; set; } = [];

    /// <summary>The most probable class as ML.NET's key: 1 for the first class, 2 for the second, …</summary>
    public uint PredictedLabel { get; set; }

    /// <summary>Index (from 0) of the most probable class in <see cref="Score"/>.</summary>
    public int ClassIndex => (int)PredictedLabel - 1;

    /// <summary>Probability of the most probable class.</summary>
    public float Probability => ClassIndex >= 0 && ClassIndex < Score.Length ? Score[ClassIndex] : float.NaN;
}
