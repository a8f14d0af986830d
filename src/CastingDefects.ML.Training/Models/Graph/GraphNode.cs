using CastingDefects.ML.Training.Layers;

namespace CastingDefects.ML.Training.Models;

/// <summary>One layer call in a functional graph: the layer, its inputs and its output.</summary>
internal sealed class GraphNode
{
    public GraphNode(Layer layer, IReadOnlyList<KerasTensor> inputs)
    {
        Layer = layer;
        Inputs = inputs;
    }

    public Layer Layer { get; }

    public IReadOnlyList<KerasTensor> Inputs { get; }

    public KerasTensor Output { get; set; } = null!;

    /// <summary>Input shapes, in order.</summary>
    public IReadOnlyList<TensorShape> InputShapes => Inputs.Select(i => i.Shape).ToList();
}
