namespace CastingDefects.ML.Inference;

/// <summary>
/// Where a model sees a defect in one image: <see cref="Values"/> holds <see cref="Height"/> x <see cref="Width"/>
/// values in [0, 1] (row by row, at the model's input size), 1 where hiding the image lowers the defect probability most.
/// </summary>
/// <param name="Width">Width of the map (the model's input width).</param>
/// <param name="Height">Height of the map (the model's input height).</param>
/// <param name="Values">The map, row by row; all zero when no part of the image raises the defect probability.</param>
/// <param name="Probability">The model's defect probability for the whole, unoccluded image.</param>
/// <param name="PeakX">Column of the map's maximum (the centroid where several pixels share it).</param>
/// <param name="PeakY">Row of the map's maximum.</param>
public sealed record DefectHeatmap(int Width, int Height, float[] Values, float Probability, int PeakX, int PeakY)
{
    /// <summary>
    /// A heatmap from its values (row by row, already scaled to [0, 1]); the peak is the centroid of the cells that
    /// share the maximum.
    /// </summary>
    public static DefectHeatmap FromValues(int width, int height, float[] values, float probability)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (width <= 0 || height <= 0 || values.Length != width * height)
            throw new ArgumentException($"A {width}x{height} heatmap needs {width * height} values; got {values.Length}.", nameof(values));
        float max = values.Max();
        long sx = 0, sy = 0, ties = 0;
        for (int i = 0; i < values.Length; i++)
            if (values[i] == max) { sx += i % width; sy += i / width; ties++; }
        return new DefectHeatmap(width, height, values, probability, (int)Math.Round((double)sx / ties), (int)Math.Round((double)sy / ties));
    }
}
