namespace CastingDefects.ML.Inference;

/// <summary>Input of a <c>PredictionEngine</c>: the path of one image.</summary>
public sealed class CastingImage
{
    /// <summary>Path of the image file (JPEG, PNG or BMP).</summary>
    public string ImagePath { get; set; } = "";
}
