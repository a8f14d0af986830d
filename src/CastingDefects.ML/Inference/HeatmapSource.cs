namespace CastingDefects.ML.Inference;

/// <summary>Which heatmap <see cref="CastingOnnxModel.Explain(float[], HeatmapSource, int?)"/> returns.</summary>
public enum HeatmapSource
{
    /// <summary>The model's own map when it has one (<see cref="CastingOnnxModel.HasHeatmap"/>), else occlusion.</summary>
    Auto,

    /// <summary>The map the network computes itself: Grad-CAM of a classifier exported with it, or a detector's anomaly map.</summary>
    Model,

    /// <summary>Occlusion sensitivity (<see cref="OcclusionHeatmap"/>): any binary model, one run per occluded copy.</summary>
    Occlusion,
}
