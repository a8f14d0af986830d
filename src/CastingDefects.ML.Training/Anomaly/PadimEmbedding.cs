namespace CastingDefects.ML.Training.Anomaly;

/// <summary>How PaDiM reduces the backbone's 448 feature channels to <see cref="PadimOptions.Dimensions"/>.</summary>
public enum PadimEmbedding
{
    /// <summary>A seeded random subset of the channels (the PaDiM paper, Defard et al. 2020).</summary>
    RandomChannels,

    /// <summary>
    /// A seeded random semi-orthogonal projection of all channels (Kim et al. 2021, "Semi-orthogonal embedding for
    /// efficient unsupervised anomaly segmentation"): every channel contributes, at the same d x d cost per position.
    /// </summary>
    SemiOrthogonal,
}
