namespace CastingDefects.ML.Training.Layers;

/// <summary>
/// Where the cells of a layer's output sit on its input: the centre of output cell (row i, column j) lies at input
/// coordinate (ScaleY * i + OffsetY, ScaleX * j + OffsetX), in pixel indices (pixel k spans k - 0.5 to k + 0.5).
/// A 3x3 valid convolution shifts by one (offset 1), a 2x2 pool halves (scale 2, offset 0.5). Composed from the image to a
/// feature map, it places a Grad-CAM map on the image exactly, also for networks whose valid convolutions leave a border
/// the feature map does not cover.
/// </summary>
/// <param name="ScaleY">Input rows per output row.</param>
/// <param name="OffsetY">Input row of output row 0's centre.</param>
/// <param name="ScaleX">Input columns per output column.</param>
/// <param name="OffsetX">Input column of output column 0's centre.</param>
internal readonly record struct SpatialMap(double ScaleY, double OffsetY, double ScaleX, double OffsetX)
{
    /// <summary>The map of a layer that keeps every position (activations, BatchNormalization, additions).</summary>
    public static SpatialMap Identity { get; } = new(1, 0, 1, 0);

    /// <summary>A sliding window: <paramref name="stride"/> apart, the first centred (kernel - 1) / 2 after the padding.</summary>
    public static SpatialMap Window((int Height, int Width) kernel, (int Height, int Width) stride, (int Height, int Width) dilation, (int Top, int Left) before) => new(
        stride.Height, (kernel.Height - 1) * dilation.Height / 2.0 - before.Top,
        stride.Width, (kernel.Width - 1) * dilation.Width / 2.0 - before.Left);

    /// <summary>The map of <paramref name="next"/> (a layer applied to this one's output) seen from this one's input.</summary>
    public SpatialMap Then(SpatialMap next) => new(
        ScaleY * next.ScaleY, ScaleY * next.OffsetY + OffsetY,
        ScaleX * next.ScaleX, ScaleX * next.OffsetX + OffsetX);
}
