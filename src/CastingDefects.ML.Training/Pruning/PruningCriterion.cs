namespace CastingDefects.ML.Training.Pruning;

/// <summary>How <see cref="ChannelPruning"/> ranks the channels of a network.</summary>
public enum PruningCriterion
{
    /// <summary>L1 norm of each filter of the layers that make the channel (Li et al. 2017, "Pruning filters for efficient ConvNets").</summary>
    L1Norm,

    /// <summary>
    /// |γ| of the BatchNormalization layers that scale the channel ("network slimming", Liu et al. 2017); channels
    /// without a BatchNormalization fall back to <see cref="L1Norm"/>.
    /// </summary>
    BatchNormScale,
}
