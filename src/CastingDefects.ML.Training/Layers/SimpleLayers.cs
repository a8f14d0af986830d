using CastingDefects.ML.Training.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Layers;

/// <summary>A standalone activation layer (Keras's <c>Activation</c>, <c>ReLU</c>, <c>Softmax</c>).</summary>
public sealed class ActivationLayer : Layer, IHasActivation, IChannelPrunable
{
    /// <summary>Creates the layer.</summary>
    public ActivationLayer(Activation activation) => Activation = activation;

    /// <inheritdoc />
    public Activation Activation { get; }

    /// <inheritdoc />
    public override string KerasType => Activation switch { Activation.ReLU => "ReLU", Activation.Softmax => "Softmax", _ => "Activation" };

    /// <inheritdoc />
    public override TensorShape OutputShape(TensorShape input) => input;

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build(TensorShape input) => new Lambda(Name, x => ActivationFunctions.Apply(Activation, x));

    /// <inheritdoc />
    public override string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module) =>
        ActivationFunctions.Export(graph, Activation, input);

    ChannelRole IChannelPrunable.ChannelRole(TensorShape input) => Activation == Activation.Softmax ? ChannelRole.Boundary : ChannelRole.Preserving;
}

/// <summary>Randomly zeroes a fraction of the inputs during training; identity at inference (Keras's <c>Dropout</c>).</summary>
public sealed class Dropout : Layer, IChannelPrunable, IAffinePassThrough
{
    /// <summary>Dropout is the identity at inference.</summary>
    ChannelAffine? IAffinePassThrough.PassAffine(ChannelAffine affine, TensorShape input) => affine;

    /// <summary>Creates the layer.</summary>
    public Dropout(double rate)
    {
        if (rate is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(rate), rate, "rate must be in [0, 1).");
        Rate = rate;
    }

    /// <summary>Fraction of inputs dropped.</summary>
    public double Rate { get; }

    /// <inheritdoc />
    public override string KerasType => "Dropout";

    /// <inheritdoc />
    public override TensorShape OutputShape(TensorShape input) => input;

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build(TensorShape input) => nn.Dropout(Rate);

    /// <inheritdoc />
    public override string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module) => input;
}

/// <summary>(C, H, W) to (C*H*W), channels first (Keras's <c>Flatten</c>).</summary>
public sealed class Flatten : Layer, IAffinePassThrough
{
    /// <summary>Channels first: each channel's map repeats over its H*W values.</summary>
    ChannelAffine? IAffinePassThrough.PassAffine(ChannelAffine affine, TensorShape input) => input.IsImage ? affine.Expand(input.Height * input.Width) : affine;

    /// <inheritdoc />
    public override string KerasType => "Flatten";

    /// <inheritdoc />
    public override TensorShape OutputShape(TensorShape input) => TensorShape.Vector(checked((int)input.Size));

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build(TensorShape input) => new Lambda(Name, x => x.flatten(1));

    /// <inheritdoc />
    public override string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module) =>
        graph.Node("Flatten", [input], graph.Unique(Name), OnnxGraphBuilder.Int("axis", 1));
}

/// <summary>Zero padding around feature maps (Keras's <c>ZeroPadding2D</c>).</summary>
public sealed class ZeroPadding2D : Layer, IChannelPrunable
{
    /// <summary>Pads every side by <paramref name="padding"/>.</summary>
    public ZeroPadding2D(int padding = 1) : this(padding, padding, padding, padding) { }

    /// <summary>Pads each side by its own amount.</summary>
    public ZeroPadding2D(int top, int bottom, int left, int right)
    {
        if (top < 0 || bottom < 0 || left < 0 || right < 0) throw new ArgumentOutOfRangeException(nameof(top), "padding must not be negative.");
        Top = top; Bottom = bottom; Left = left; Right = right;
    }

    /// <summary>Rows added on top.</summary>
    public int Top { get; }
    /// <summary>Rows added at the bottom.</summary>
    public int Bottom { get; }
    /// <summary>Columns added on the left.</summary>
    public int Left { get; }
    /// <summary>Columns added on the right.</summary>
    public int Right { get; }

    /// <inheritdoc />
    public override string KerasType => "ZeroPadding2D";

    internal override SpatialMap Spatial(TensorShape input) => new(1, -Top, 1, -Left);

    /// <inheritdoc />
    public override TensorShape OutputShape(TensorShape input) => input.IsImage
        ? new TensorShape(input.Channels, input.Height + Top + Bottom, input.Width + Left + Right)
        : throw new ArgumentException($"{Name}: ZeroPadding2D needs a (C, H, W) input, got {input}.");

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build(TensorShape input) => new Lambda(Name, x => nn.functional.pad(x, [Left, Right, Top, Bottom]));

    /// <inheritdoc />
    public override string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module) =>
        graph.Node("Pad", [input, graph.InitializerInt64(Name + "_pads", 0, 0, Top, Left, 0, 0, Bottom, Right)], graph.Unique(Name));
}
