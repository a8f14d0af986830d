using CastingDefects.ML.Training.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Layers;

/// <summary>Removes rows and columns at the borders of feature maps (Keras's <c>Cropping2D</c>).</summary>
public sealed class Cropping2D : Layer, IChannelPrunable
{
    /// <summary>Crops each side by its own amount.</summary>
    public Cropping2D(int top, int bottom, int left, int right)
    {
        if (top < 0 || bottom < 0 || left < 0 || right < 0) throw new ArgumentOutOfRangeException(nameof(top), "cropping must not be negative.");
        Top = top; Bottom = bottom; Left = left; Right = right;
    }

    /// <summary>Rows removed on top.</summary>
    public int Top { get; }
    /// <summary>Rows removed at the bottom.</summary>
    public int Bottom { get; }
    /// <summary>Columns removed on the left.</summary>
    public int Left { get; }
    /// <summary>Columns removed on the right.</summary>
    public int Right { get; }

    /// <inheritdoc />
    public override string KerasType => "Cropping2D";

    internal override SpatialMap Spatial(TensorShape input) => new(1, Top, 1, Left);

    /// <inheritdoc />
    public override TensorShape OutputShape(TensorShape input)
    {
        if (!input.IsImage) throw new ArgumentException($"{Name}: Cropping2D needs a (C, H, W) input, got {input}.");
        var output = new TensorShape(input.Channels, input.Height - Top - Bottom, input.Width - Left - Right);
        return output.IsImage ? output : throw new ArgumentException($"{Name}: cropping removes all of the {input.Height}x{input.Width} input.");
    }

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build(TensorShape input)
    {
        var output = OutputShape(input);
        return new Lambda(Name, x => x.narrow(2, Top, output.Height).narrow(3, Left, output.Width));
    }

    /// <inheritdoc />
    public override string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module) =>
        graph.Node("Slice", [input, graph.InitializerInt64(Name + "_starts", Top, Left), graph.InitializerInt64(Name + "_ends", inputShape.Height - Bottom, inputShape.Width - Right),
            graph.InitializerInt64(Name + "_axes", 2, 3)], graph.Unique(Name));
}
