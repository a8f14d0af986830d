using System.Globalization;
using System.Text;
using CastingDefects.ML.Training.Export;
using CastingDefects.ML.Training.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Models;

/// <summary>
/// A Keras functional model: a graph of layer calls from one input to one output, with residual connections
/// (<see cref="Layers.Add"/>) and branches (<see cref="Concatenate"/>). It is itself a layer, so it goes into a
/// <see cref="Sequential"/> the way Keras code puts a pretrained base under a new head.
/// </summary>
/// <example>
/// <code>
/// var input = Functional.Input((3, 224, 224));
/// var x = new Conv2D(64, 3, padding: Padding.Same, activation: Activation.ReLU).Call(input);
/// var y = new Conv2D(64, 3, padding: Padding.Same).Call(x);
/// var block = new Functional(input, new Add().Call(x, y), "block");
/// </code>
/// </example>
public sealed class Functional : Layer
{
    private readonly List<GraphNode> _nodes;

    /// <summary>The input of a new functional graph (Keras's <c>keras.Input</c>), channels first.</summary>
    public static KerasTensor Input((int channels, int height, int width) shape)
    {
        if (shape.channels <= 0 || shape.height <= 0 || shape.width <= 0)
            throw new ArgumentOutOfRangeException(nameof(shape), shape, "Input channels, height and width must be positive.");
        return new KerasTensor(new TensorShape(shape.channels, shape.height, shape.width), new GraphScope(), null);
    }

    /// <summary>Wraps the graph from <paramref name="input"/> to <paramref name="output"/>.</summary>
    public Functional(KerasTensor input, KerasTensor output, string name)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (input.Node is not null) throw new ArgumentException("The input must come from Functional.Input(...).", nameof(input));
        if (input.Scope != output.Scope) throw new ArgumentException("The output is not computed from this input.", nameof(output));
        Name = name;
        InputTensor = input;
        OutputTensor = output;
        _nodes = TopologicalOrder(output);
    }

    /// <summary>The graph's input.</summary>
    public KerasTensor InputTensor { get; }

    /// <summary>The graph's output.</summary>
    public KerasTensor OutputTensor { get; }

    /// <summary>Shape of the input sample.</summary>
    public TensorShape InputShape => InputTensor.Shape;

    /// <summary>The layers in execution order.</summary>
    public IReadOnlyList<Layer> Layers => _nodes.Select(n => n.Layer).ToList();

    internal IReadOnlyList<GraphNode> Nodes => _nodes;

    /// <summary>The layer with the given name; throws <see cref="KeyNotFoundException"/> naming the model otherwise.</summary>
    public Layer GetLayer(string name) => _nodes.FirstOrDefault(n => n.Layer.Name == name)?.Layer
        ?? throw new KeyNotFoundException($"Model '{Name}' has no layer named '{name}'.");

    /// <summary>
    /// Freezes every layer before the one named <paramref name="layerName"/> (Keras's fine-tuning recipe:
    /// <c>for layer in base.layers[:k]: layer.trainable = False</c>); later layers stay trainable.
    /// </summary>
    public void FreezeUpTo(string layerName)
    {
        int index = _nodes.FindIndex(n => n.Layer.Name == layerName);
        if (index < 0) throw new KeyNotFoundException($"Model '{Name}' has no layer named '{layerName}'.");
        for (int i = 0; i < _nodes.Count; i++) _nodes[i].Layer.Trainable = i >= index;
    }

    /// <inheritdoc />
    public override string KerasType => "Functional";

    /// <inheritdoc />
    public override TensorShape OutputShape(TensorShape input) => input == InputShape
        ? OutputTensor.Shape
        : throw new ArgumentException($"{Name}: the model was built for inputs {InputShape}, got {input}.");

    /// <summary>
    /// Composed along the first inputs from the output back to the input: the branches a merge joins (a residual
    /// shortcut and its block) cover the same positions.
    /// </summary>
    internal override SpatialMap Spatial(TensorShape input)
    {
        OutputShape(input);
        var map = SpatialMap.Identity;
        for (var node = OutputTensor.Node; node is not null; node = node.Inputs[0].Node)
            map = node.Layer.Spatial(node.Inputs[0].Shape).Then(map);
        return map;
    }

    /// <inheritdoc />
    public override long TrainableParameters(TensorShape input) => _nodes.Sum(n => n.Layer.EffectiveTrainable(n.Inputs[0].Shape));

    /// <inheritdoc />
    public override long NonTrainableParameters(TensorShape input) => _nodes.Sum(n => n.Layer.EffectiveNonTrainable(n.Inputs[0].Shape));

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build(TensorShape input)
    {
        OutputShape(input);
        return new GraphModule(this);
    }

    /// <inheritdoc />
    public override string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module) =>
        OnnxExporter.Graph(this, (GraphModule)module, graph, input);

    /// <summary>Keras's summary of a functional model: layer, output shape, parameters and the layers it is connected to.</summary>
    public string Summary() => ModelSummary.Format(this, connections: true);

    private static List<GraphNode> TopologicalOrder(KerasTensor output)
    {
        var order = new List<GraphNode>();
        var done = new HashSet<GraphNode>();
        var stack = new Stack<(GraphNode Node, bool Expanded)>();
        if (output.Node is null) return order;
        stack.Push((output.Node, false));
        while (stack.Count > 0)
        {
            var (node, expanded) = stack.Pop();
            if (done.Contains(node)) continue;
            if (expanded)
            {
                done.Add(node);
                order.Add(node);
                continue;
            }
            stack.Push((node, true));
            for (int i = node.Inputs.Count - 1; i >= 0; i--)
                if (node.Inputs[i].Node is { } parent && !done.Contains(parent)) stack.Push((parent, false));
        }
        return order;
    }
}
