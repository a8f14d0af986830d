namespace CastingDefects.ML.Inference;

/// <summary>
/// Output of a <c>PredictionEngine</c> over <see cref="CastingModelCatalog.ScoreWithOnnx(Microsoft.ML.TransformsCatalog, byte[], Data.CastingImageOptions, bool)"/>
/// with the heatmap: ML.NET's binary classification columns and the network's own heatmap.
/// </summary>
public sealed class CastingHeatmapVerdict
{
    /// <summary>Raw score (logit) of the defect class.</summary>
    public float Score { get; set; }

    /// <summary>Probability that the casting is defective.</summary>
    public float Probability { get; set; }

    /// <summary>True when the probability reaches the model's threshold.</summary>
    public bool PredictedLabel { get; set; }

    /// <summary>The heatmap at the model's input size, row by row, scaled to a maximum of 1 (Grad-CAM, or a detector's anomaly map).</summary>
    public float[] Heatmap { get; set; } = [];
}
