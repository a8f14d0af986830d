using CastingDefects.ML.Training.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Layers;

/// <summary>
/// Repeats rows and columns of feature maps (Keras's <c>UpSampling2D</c> with <c>interpolation="nearest"</c>): output
/// pixel (y, x) is input pixel (y / size, x / size). No parameters. In ONNX: a nearest-neighbour Resize.
/// </summary>
public sealed class UpSampling2D : Layer, IChannelPrunable
{
    /// <summary>Enlarges height and width by <paramref name="size"/>.</summary>
    public UpSampling2D(int size = 2)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "The upsampling factor must be at least 1.");
        Size = size;
    }

    /// <summary>The factor for height and width.</summary>
    public int Size { get; }

    /// <inheritdoc />
    public override string KerasType => "UpSampling2D";

    /// <summary>Output cell j repeats input cell floor(j / Size): its centre is (j + 0.5) / Size - 0.5.</summary>
    internal override SpatialMap Spatial(TensorShape input) => new(1.0 / Size, (1.0 - Size) / (2.0 * Size), 1.0 / Size, (1.0 - Size) / (2.0 * Size));

    /// <inheritdoc />
    public override TensorShape OutputShape(TensorShape input) => input.IsImage
        ? new TensorShape(input.Channels, input.Height * Size, input.Width * Size)
        : throw new ArgumentException($"{Name}: UpSampling2D needs a (C, H, W) input, got {input}.");

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build(TensorShape input)
    {
        OutputShape(input);
        int size = Size;
        return new Lambda(Name, x => x.repeat_interleave(size, 2).repeat_interleave(size, 3));
    }

    /// <inheritdoc />
    public override string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module) =>
        graph.Node("Resize", [input, "", graph.Initializer(Name + "_scales", [1f, 1f, Size, Size], 4)], graph.Unique(Name),
            OnnxGraphBuilder.String("mode", "nearest"), OnnxGraphBuilder.String("coordinate_transformation_mode", "asymmetric"),
            OnnxGraphBuilder.String("nearest_mode", "floor"));
}
