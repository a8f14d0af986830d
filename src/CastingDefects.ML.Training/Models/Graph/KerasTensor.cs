using CastingDefects.ML.Training.Layers;

namespace CastingDefects.ML.Training.Models;

/// <summary>
/// A symbolic tensor of a functional model (Keras's <c>KerasTensor</c>): the shape of one sample and the layer call
/// that produces it. Create the input with <see cref="Functional.Input"/>, apply layers with
/// <see cref="Layer.Call(KerasTensor)"/> or <see cref="MergeLayer.Call(KerasTensor[])"/>, then wrap the graph in a
/// <see cref="Functional"/>.
/// </summary>
public sealed class KerasTensor
{
    internal KerasTensor(TensorShape shape, GraphScope scope, GraphNode? node)
    {
        Shape = shape;
        Scope = scope;
        Node = node;
    }

    /// <summary>Shape of one sample.</summary>
    public TensorShape Shape { get; }

    /// <summary>The layer that produced this tensor, or null for the model input.</summary>
    public Layer? Layer => Node?.Layer;

    internal GraphScope Scope { get; }

    internal GraphNode? Node { get; }

    /// <inheritdoc />
    public override string ToString() => Node is null ? $"input {Shape}" : $"{Node.Layer.Name} {Shape}";
}
