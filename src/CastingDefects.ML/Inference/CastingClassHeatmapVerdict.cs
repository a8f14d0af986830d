namespace CastingDefects.ML.Inference;

/// <summary>
/// Output of a <c>PredictionEngine</c> over a multiclass model scored with its heatmap
/// (<see cref="MulticlassScoring.ScoreWithOnnxMulticlass"/> with <c>heatmap: true</c>): ML.NET's multiclass columns and
/// the Grad-CAM map of the predicted class.
/// </summary>
public sealed class CastingClassHeatmapVerdict
{
    /// <summary>Probability of each class, in the order of the model's classes.</summary>
    public float[] Score { get; set; } = [];

    /// <summary>The most probable class as ML.NET's key: 1 for the first class, 2 for the second, …</summary>
    public uint PredictedLabel { get; set; }

    /// <summary>The predicted class's heatmap at the model's input size, row by row, scaled to a maximum of 1.</summary>
    public float[] Heatmap { get; set; } = [];
}
