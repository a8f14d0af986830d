namespace CastingDefects.ML.Inference;

/// <summary>Output of a <c>PredictionEngine</c>: ML.NET's binary classification columns.</summary>
public sealed class CastingVerdict
{
    /// <summary>Raw score (logit) of the defect class.</summary>
    public float Score { get; set; }

    /// <summary>Probability that the casting is defective.</summary>
    public float Probability { get; set; }

    /// <summary>True when the probability reaches the model's threshold.</summary>
    public bool PredictedLabel { get; set; }

    /// <summary>Same as <see cref="PredictedLabel"/>: the casting is judged defective (NG).</summary>
    public bool IsDefective => PredictedLabel;

    /// <summary>"NG" for defective, "OK" for good.</summary>
    public string Verdict => PredictedLabel ? "NG" : "OK";
}
