using CastingDefects.ML.Training.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Layers;

/// <summary>Mean over height and width: (C, H, W) to (C) (Keras's <c>GlobalAveragePooling2D</c>).</summary>
public sealed class GlobalAveragePooling2D : Layer
{
    /// <inheritdoc />
    public override string KerasType => "GlobalAveragePooling2D";

    /// <inheritdoc />
    public override TensorShape OutputShape(TensorShape input) => input.IsImage
        ? TensorShape.Vector(input.Channels)
        : throw new ArgumentException($"{Name}: global pooling needs a (C, H, W) input, got {input}.");

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build(TensorShape input) => new Lambda(Name, x => x.mean([2, 3]));

    internal override string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module) =>
        graph.Node("Flatten", [graph.Node("GlobalAveragePool", [input])], graph.Unique(Name), OnnxGraphBuilder.Int("axis", 1));
}

/// <summary>Max over height and width: (C, H, W) to (C) (Keras's <c>GlobalMaxPooling2D</c>).</summary>
public sealed class GlobalMaxPooling2D : Layer
{
    /// <inheritdoc />
    public override string KerasType => "GlobalMaxPooling2D";

    /// <inheritdoc />
    public override TensorShape OutputShape(TensorShape input) => input.IsImage
        ? TensorShape.Vector(input.Channels)
        : throw new ArgumentException($"{Name}: global pooling needs a (C, H, W) input, got {input}.");

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build(TensorShape input) => new Lambda(Name, x => x.amax([2, 3]));

    internal override string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module) =>
        graph.Node("Flatten", [graph.Node("GlobalMaxPool", [input])], graph.Unique(Name), OnnxGraphBuilder.Int("axis", 1));
}

/// <summary>A parameter-free module defined by a function.</summary>
internal sealed class Lambda : nn.Module<Tensor, Tensor>
{
    private readonly Func<Tensor, Tensor> _function;

    public Lambda(string name, Func<Tensor, Tensor> function) : base(name) => _function = function;

    public override Tensor forward(Tensor x) => _function(x);
}
