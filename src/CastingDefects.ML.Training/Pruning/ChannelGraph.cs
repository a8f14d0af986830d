using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Pruning;

/// <summary>
/// The channel dependencies of a built <see cref="Sequential"/> model (functional blocks inside it expanded): every
/// tensor belongs to a channel space, and tensors whose channels must be pruned together share one (a residual
/// <see cref="Add"/> ties its inputs; BatchNormalization, pooling, activations and depthwise convolutions pass their
/// input's space on; Conv2D, Dense and SeparableConv2D start a new one). A space is prunable unless it reaches the
/// model's input or output or crosses a boundary layer (<see cref="ChannelRole.Boundary"/>, Concatenate, layers
/// without <see cref="IChannelPrunable"/>).
/// </summary>
internal sealed class ChannelGraph
{
    private readonly List<int> _parent = new();
    private readonly List<bool> _blocked = new();
    private readonly List<int> _valueSpace = new();
    private readonly List<TensorShape> _valueShape = new();

    /// <summary>One layer call: the layer, its module, the values it reads and the value it writes.</summary>
    public sealed record Node(Layer Layer, nn.Module<Tensor, Tensor>? Module, int[] Inputs, int Output, ChannelRole Role);

    public ChannelGraph(Sequential model)
    {
        int value = NewValue(model.InputShape, NewSpace());
        Block(value); // the images keep their channels
        var stack = model.Module;
        var blocks = stack.Blocks;
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var layer = model.Layers[i];
            if (layer is Functional functional) value = AddGraph(functional, (GraphModule)blocks[i], value);
            else value = AddLayer(layer, blocks[i], [value]);
        }
        Block(value); // the classifier's outputs are its classes
        Output = value;
    }

    /// <summary>The layer calls in execution order.</summary>
    public List<Node> Nodes { get; } = new();

    /// <summary>The model's output value.</summary>
    public int Output { get; }

    /// <summary>Shape of a value.</summary>
    public TensorShape ShapeOf(int value) => _valueShape[value];

    /// <summary>The channel space (its representative) of a value.</summary>
    public int SpaceOf(int value) => Find(_valueSpace[value]);

    /// <summary>True when the channels of the space may be pruned.</summary>
    public bool IsPrunable(int space) => !_blocked[Find(space)];

    /// <summary>The prunable spaces, each with its channel count, in order of first appearance.</summary>
    public IReadOnlyList<(int Space, int Channels)> PrunableSpaces()
    {
        var seen = new HashSet<int>();
        var spaces = new List<(int, int)>();
        for (int v = 0; v < _valueSpace.Count; v++)
        {
            int space = SpaceOf(v);
            if (IsPrunable(space) && seen.Add(space)) spaces.Add((space, _valueShape[v].Channels));
        }
        return spaces;
    }

    private int AddGraph(Functional functional, GraphModule module, int input)
    {
        var values = new Dictionary<KerasTensor, int> { [functional.InputTensor] = input };
        foreach (var node in functional.Nodes)
        {
            var inputs = node.Inputs.Select(t => values[t]).ToArray();
            values[node.Output] = node.Layer is MergeLayer ? AddLayer(node.Layer, null, inputs) : AddLayer(node.Layer, module.ModuleOf(node.Layer.Name), inputs);
        }
        return values[functional.OutputTensor];
    }

    private int AddLayer(Layer layer, nn.Module<Tensor, Tensor>? module, int[] inputs)
    {
        var inputShape = _valueShape[inputs[0]];
        ChannelRole role;
        int output;
        switch (layer)
        {
            case Layers.Add:
                foreach (int other in inputs.Skip(1)) Union(_valueSpace[inputs[0]], _valueSpace[other]);
                role = ChannelRole.Preserving;
                output = NewValue(inputShape, _valueSpace[inputs[0]]);
                break;
            case IChannelPrunable prunable when layer is not MergeLayer:
                role = prunable.ChannelRole(inputShape);
                var shape = layer.OutputShape(inputShape);
                output = NewValue(shape, role == ChannelRole.Preserving ? _valueSpace[inputs[0]] : NewSpace());
                if (role == ChannelRole.Boundary)
                {
                    Block(inputs[0]);
                    Block(output);
                }
                break;
            default: // Concatenate, Flatten, Rescaling, Normalization, ZcaWhitening, nested graphs, user layers
                role = ChannelRole.Boundary;
                var outputShape = layer is MergeLayer merge ? merge.OutputShape(inputs.Select(i => _valueShape[i]).ToList()) : layer.OutputShape(inputShape);
                foreach (int i in inputs) Block(i);
                output = NewValue(outputShape, NewSpace());
                Block(output);
                break;
        }
        Nodes.Add(new Node(layer, module, inputs, output, role));
        return output;
    }

    private int NewSpace()
    {
        _parent.Add(_parent.Count);
        _blocked.Add(false);
        return _parent.Count - 1;
    }

    private int NewValue(TensorShape shape, int space)
    {
        _valueShape.Add(shape);
        _valueSpace.Add(space);
        return _valueShape.Count - 1;
    }

    /// <summary>Keeps the channels of a value's space (and of everything tied to it).</summary>
    public void Block(int value) => _blocked[Find(_valueSpace[value])] = true;

    private int Find(int space)
    {
        while (_parent[space] != space) space = _parent[space] = _parent[_parent[space]];
        return space;
    }

    private void Union(int a, int b)
    {
        a = Find(a);
        b = Find(b);
        if (a == b) return;
        _parent[b] = a;
        _blocked[a] |= _blocked[b];
    }
}
