using CastingDefects.ML.Training.Export;
using CastingDefects.ML.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Layers;

/// <summary>
/// A layer of a functional graph that combines several tensors (Keras's <c>Add</c>, <c>Concatenate</c>). It has no
/// weights; call it with <see cref="Call(KerasTensor[])"/>.
/// </summary>
public abstract class MergeLayer : Layer
{
    /// <summary>Gives the layer an explicit name.</summary>
    public new MergeLayer WithName(string name)
    {
        base.WithName(name);
        return this;
    }

    /// <summary>Applies the layer to two or more symbolic tensors.</summary>
    public KerasTensor Call(params KerasTensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length < 2) throw new ArgumentException($"{KerasType} needs at least two inputs, got {inputs.Length}.", nameof(inputs));
        return inputs[0].Scope.AddNode(this, inputs, () => OutputShape(inputs.Select(i => i.Shape).ToList()));
    }

    /// <summary>Output shape for the given input shapes; throws <see cref="ArgumentException"/> when they do not fit together.</summary>
    public abstract TensorShape OutputShape(IReadOnlyList<TensorShape> inputs);

    /// <summary>Merge layers take several inputs: use <see cref="OutputShape(IReadOnlyList{TensorShape})"/>.</summary>
    public sealed override TensorShape OutputShape(TensorShape input) =>
        throw new InvalidOperationException($"{Name}: {KerasType} merges several tensors; use it in a functional graph.");

    /// <summary>Merge layers have no module of their own; the functional graph computes them.</summary>
    public sealed override nn.Module<Tensor, Tensor> Build(TensorShape input) =>
        throw new InvalidOperationException($"{Name}: {KerasType} merges several tensors; use it in a functional graph.");

    /// <summary>Computes the merge in TorchSharp.</summary>
    internal abstract Tensor Forward(IReadOnlyList<Tensor> inputs);

    /// <summary>Emits the ONNX node of the merge.</summary>
    internal abstract string ExportOnnx(OnnxGraphBuilder graph, IReadOnlyList<string> inputs);

    /// <inheritdoc />
    public sealed override string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module) =>
        throw new InvalidOperationException($"{Name}: {KerasType} merges several tensors.");
}

/// <summary>Element-wise sum of tensors of one shape (Keras's <c>Add</c>; residual connections).</summary>
public sealed class Add : MergeLayer
{
    /// <inheritdoc />
    public override string KerasType => "Add";

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs)
    {
        if (inputs.Any(s => s != inputs[0]))
            throw new ArgumentException($"{Name}: Add needs inputs of one shape, got {string.Join(", ", inputs)}.");
        return inputs[0];
    }

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        var sum = inputs[0] + inputs[1];
        for (int i = 2; i < inputs.Count; i++) sum = sum + inputs[i];
        return sum;
    }

    internal override string ExportOnnx(OnnxGraphBuilder graph, IReadOnlyList<string> inputs) =>
        graph.Node(inputs.Count == 2 ? "Add" : "Sum", inputs.ToArray(), graph.Unique(Name));
}

/// <summary>Concatenation along the channel axis (Keras's <c>Concatenate</c>, channels first).</summary>
public sealed class Concatenate : MergeLayer
{
    /// <inheritdoc />
    public override string KerasType => "Concatenate";

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs)
    {
        var first = inputs[0];
        if (inputs.Any(s => s.Height != first.Height || s.Width != first.Width))
            throw new ArgumentException($"{Name}: Concatenate needs inputs of one height and width, got {string.Join(", ", inputs)}.");
        return first with { Channels = inputs.Sum(s => s.Channels) };
    }

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs) => cat(inputs.ToList(), 1);

    internal override string ExportOnnx(OnnxGraphBuilder graph, IReadOnlyList<string> inputs) =>
        graph.Node("Concat", inputs.ToArray(), graph.Unique(Name), OnnxGraphBuilder.Int("axis", 1));
}
