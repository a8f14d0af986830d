using CastingDefects.ML.Training.Layers;

namespace CastingDefects.ML.Training.Models;

/// <summary>One row of a model's summary (<see cref="Sequential.Summary"/>, <see cref="Functional.Summary"/>).</summary>
/// <param name="Name">Layer name.</param>
/// <param name="Type">Keras class name.</param>
/// <param name="OutputShape">Output shape.</param>
/// <param name="Parameters">Trainable plus non-trainable parameters.</param>
public sealed record SummaryRow(string Name, string Type, TensorShape OutputShape, long Parameters)
{
    /// <summary>The layers whose outputs this layer takes (the input is "input").</summary>
    public IReadOnlyList<string> ConnectedTo { get; init; } = [];
}

/// <summary>Parameter counts in Keras's terms.</summary>
/// <param name="Total">All parameters.</param>
/// <param name="Trainable">Parameters updated by the optimizer.</param>
/// <param name="NonTrainable">BatchNormalization moving statistics.</param>
public sealed record ParameterCounts(long Total, long Trainable, long NonTrainable)
{
    /// <summary>Size of the parameters as float32, in bytes.</summary>
    public long Bytes => Total * 4;
}
