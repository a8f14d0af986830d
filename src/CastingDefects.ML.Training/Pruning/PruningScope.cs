namespace CastingDefects.ML.Training.Pruning;

/// <summary>Whether the pruning ratio applies to every layer alike or to the network as a whole.</summary>
public enum PruningScope
{
    /// <summary>Every prunable channel group loses the same share of its channels.</summary>
    PerLayer,

    /// <summary>
    /// The weakest channels of the whole network go, each group's scores divided by their mean so that layers compare;
    /// no group loses more than <see cref="ChannelPruningOptions.MaxLayerRatio"/>.
    /// </summary>
    Global,
}
