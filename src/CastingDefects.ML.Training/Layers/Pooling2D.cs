using CastingDefects.ML.Training.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Layers;

/// <summary>Base of <see cref="MaxPooling2D"/> and <see cref="AveragePooling2D"/>.</summary>
public abstract class Pooling2D : Layer, IChannelPrunable
{
    /// <summary>Creates the layer; strides default to the pool size, as in Keras.</summary>
    protected Pooling2D(int poolSize, int? strides, Padding padding)
    {
        if (poolSize <= 0) throw new ArgumentOutOfRangeException(nameof(poolSize), poolSize, "pool size must be positive.");
        PoolSize = poolSize;
        Strides = strides ?? poolSize;
        if (Strides <= 0) throw new ArgumentOutOfRangeException(nameof(strides), strides, "strides must be positive.");
        Padding = padding;
    }

    /// <summary>Window size.</summary>
    public int PoolSize { get; }
    /// <summary>Step between windows.</summary>
    public int Strides { get; }
    /// <summary>Padding mode.</summary>
    public Padding Padding { get; }

    /// <inheritdoc />
    public override TensorShape OutputShape(TensorShape input)
    {
        if (!input.IsImage) throw new ArgumentException($"{Name}: pooling needs a (C, H, W) input, got {input}.");
        var h = PaddingMath.Axis(input.Height, PoolSize, Strides, 1, Padding);
        var w = PaddingMath.Axis(input.Width, PoolSize, Strides, 1, Padding);
        if (h.Output <= 0 || w.Output <= 0) throw new ArgumentException($"{Name}: a {PoolSize}x{PoolSize} pool does not fit the {input.Height}x{input.Width} input.");
        return new TensorShape(input.Channels, h.Output, w.Output);
    }

    internal override SpatialMap Spatial(TensorShape input)
    {
        var (h, w) = Pads(input);
        return SpatialMap.Window((PoolSize, PoolSize), (Strides, Strides), (1, 1), (h.Before, w.Before));
    }

    /// <summary>Padding (before, after) per axis.</summary>
    internal ((int Before, int After) H, (int Before, int After) W) Pads(TensorShape input)
    {
        var h = PaddingMath.Axis(input.Height, PoolSize, Strides, 1, Padding);
        var w = PaddingMath.Axis(input.Width, PoolSize, Strides, 1, Padding);
        return ((h.Before, h.After), (w.Before, w.After));
    }

    /// <summary>Emits the pooling node.</summary>
    private protected string ExportPool(OnnxGraphBuilder graph, string op, string input, TensorShape inputShape, params Onnx.AttributeProto[] extra)
    {
        var (h, w) = Pads(inputShape);
        var attributes = new List<Onnx.AttributeProto>
        {
            OnnxGraphBuilder.Ints("kernel_shape", PoolSize, PoolSize),
            OnnxGraphBuilder.Ints("strides", Strides, Strides),
            OnnxGraphBuilder.Ints("pads", h.Before, w.Before, h.After, w.After),
        };
        attributes.AddRange(extra);
        return graph.Node(op, [input], graph.Unique(Name), attributes.ToArray());
    }
}

/// <summary>Max pooling (Keras's <c>MaxPooling2D</c>).</summary>
public sealed class MaxPooling2D : Pooling2D, IAffinePassThrough
{
    /// <summary>A per-channel map with positive scales commutes with the maximum.</summary>
    ChannelAffine? IAffinePassThrough.PassAffine(ChannelAffine affine, TensorShape input) => affine.AllScalesPositive ? affine : null;

    /// <summary>Creates the layer.</summary>
    public MaxPooling2D(int poolSize = 2, int? strides = null, Padding padding = Padding.Valid) : base(poolSize, strides, padding) { }

    /// <inheritdoc />
    public override string KerasType => "MaxPooling2D";

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build(TensorShape input) => new PoolModule(this, input, max: true);

    /// <inheritdoc />
    public override string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module) =>
        ExportPool(graph, "MaxPool", input, inputShape);
}

/// <summary>Average pooling (Keras's <c>AveragePooling2D</c>; padding is excluded from the average).</summary>
public sealed class AveragePooling2D : Pooling2D
{
    /// <summary>Creates the layer.</summary>
    public AveragePooling2D(int poolSize = 2, int? strides = null, Padding padding = Padding.Valid) : base(poolSize, strides, padding) { }

    /// <inheritdoc />
    public override string KerasType => "AveragePooling2D";

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build(TensorShape input) => new PoolModule(this, input, max: false);

    /// <inheritdoc />
    public override string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module) =>
        ExportPool(graph, "AveragePool", input, inputShape, OnnxGraphBuilder.Int("count_include_pad", 0));
}

/// <summary>TorchSharp pooling with Keras's (possibly asymmetric) "same" padding.</summary>
internal sealed class PoolModule : nn.Module<Tensor, Tensor>
{
    private readonly Pooling2D _layer;
    private readonly bool _max;
    private readonly long[]? _pad;

    public PoolModule(Pooling2D layer, TensorShape input, bool max) : base(layer.Name)
    {
        _layer = layer;
        _max = max;
        var (h, w) = layer.Pads(input);
        if (h.Before + h.After + w.Before + w.After > 0) _pad = [w.Before, w.After, h.Before, h.After];
    }

    public override Tensor forward(Tensor x)
    {
        if (_pad is null)
            return _max ? nn.functional.max_pool2d(x, _layer.PoolSize, _layer.Strides) : nn.functional.avg_pool2d(x, _layer.PoolSize, _layer.Strides);
        if (_max)
            return nn.functional.max_pool2d(nn.functional.pad(x, _pad, PaddingModes.Constant, double.NegativeInfinity), _layer.PoolSize, _layer.Strides);
        // Average excluding padding: pool the zero-padded input and divide by the pooled count of real pixels.
        using var scope = NewDisposeScope();
        var sum = nn.functional.avg_pool2d(nn.functional.pad(x, _pad), _layer.PoolSize, _layer.Strides);
        var ones = ones_like(x.narrow(1, 0, 1));
        var count = nn.functional.avg_pool2d(nn.functional.pad(ones, _pad), _layer.PoolSize, _layer.Strides);
        return (sum / count).MoveToOuterDisposeScope();
    }
}
