namespace CastingDefects.ML.Training.Layers;

/// <summary>How a layer's output channels relate to its input channels, for structured channel pruning.</summary>
internal enum ChannelRole
{
    /// <summary>Output channel c is computed from input channel c alone (BatchNormalization, pooling, ReLU, depthwise convolution).</summary>
    Preserving,

    /// <summary>The layer makes new channels from all of its inputs (Conv2D, Dense, SeparableConv2D): its filters can be removed.</summary>
    Producing,

    /// <summary>The channels cannot be pruned across this layer (grouped convolution, softmax, flatten, fixed input transforms).</summary>
    Boundary,
}
