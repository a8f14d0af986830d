using CastingDefects.ML.Training.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Layers;

/// <summary>Base of the global poolings: (C, H, W) to (C) by a reduction over height and width.</summary>
public abstract class GlobalPooling2D : Layer, IChannelPrunable
{
    private readonly string _onnxOp;
    private readonly Func<Tensor, Tensor> _reduce;

    private protected GlobalPooling2D(string onnxOp, Func<Tensor, Tensor> reduce)
    {
        _onnxOp = onnxOp;
        _reduce = reduce;
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(TensorShape input) => input.IsImage
        ? TensorShape.Vector(input.Channels)
        : throw new ArgumentException($"{Name}: global pooling needs a (C, H, W) input, got {input}.");

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build(TensorShape input) => new Lambda(Name, _reduce);

    /// <inheritdoc />
    public override string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module) =>
        graph.Node("Flatten", [graph.Node(_onnxOp, [input])], graph.Unique(Name), OnnxGraphBuilder.Int("axis", 1));
}

/// <summary>Mean over height and width (Keras's <c>GlobalAveragePooling2D</c>).</summary>
public sealed class GlobalAveragePooling2D() : GlobalPooling2D("GlobalAveragePool", x => x.mean([2, 3])), IAffinePassThrough
{
    /// <summary>The mean of a per-channel affine map is the map of the mean.</summary>
    ChannelAffine? IAffinePassThrough.PassAffine(ChannelAffine affine, TensorShape input) => affine;

    /// <inheritdoc />
    public override string KerasType => "GlobalAveragePooling2D";
}

/// <summary>Max over height and width (Keras's <c>GlobalMaxPooling2D</c>).</summary>
public sealed class GlobalMaxPooling2D() : GlobalPooling2D("GlobalMaxPool", x => x.amax([2, 3])), IAffinePassThrough
{
    /// <summary>A per-channel map with positive scales commutes with the maximum.</summary>
    ChannelAffine? IAffinePassThrough.PassAffine(ChannelAffine affine, TensorShape input) => affine.AllScalesPositive ? affine : null;

    /// <inheritdoc />
    public override string KerasType => "GlobalMaxPooling2D";
}

/// <summary>A parameter-free module defined by a function.</summary>
internal sealed class Lambda : nn.Module<Tensor, Tensor>
{
    private readonly Func<Tensor, Tensor> _function;

    public Lambda(string name, Func<Tensor, Tensor> function) : base(name) => _function = function;

    public override Tensor forward(Tensor x) => _function(x);
}
