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
public sealed record DefectHeatmap(int Width, int Height, float[] Values, float Probability, int PeakX, int PeakY);
