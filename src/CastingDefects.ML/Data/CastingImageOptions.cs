namespace CastingDefects.ML.Data;

/// <summary>How images become network input: size, channels and scaling, in the planar (C, H, W) layout.</summary>
public sealed class CastingImageOptions
{
    /// <summary>Width in pixels after resizing (default 300, the dataset's native size).</summary>
    public int Width { get; set; } = 300;

    /// <summary>Height in pixels after resizing (default 300).</summary>
    public int Height { get; set; } = 300;

    /// <summary>One gray plane when true (the paper's idea), three RGB planes when false.</summary>
    public bool Grayscale { get; set; } = true;

    /// <summary>Column holding the image path (default <c>ImagePath</c>).</summary>
    public string InputColumnName { get; set; } = "ImagePath";

    /// <summary>Column that receives the pixel vector (default <c>Features</c>).</summary>
    public string OutputColumnName { get; set; } = "Features";

    /// <summary>Folder that relative paths are resolved against; null for absolute paths.</summary>
    public string? ImageFolder { get; set; }

    /// <summary>Number of planes: 1 for grayscale, 3 for RGB.</summary>
    public int Channels => Grayscale ? 1 : 3;

    /// <summary>Length of the pixel vector: channels x height x width.</summary>
    public int FeatureLength => Channels * Height * Width;

    /// <summary>Square images of <paramref name="size"/> pixels.</summary>
    public static CastingImageOptions Square(int size, bool grayscale = true) => new() { Width = size, Height = size, Grayscale = grayscale };

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the bad option.</summary>
    public void Validate()
    {
        if (Width is < 8 or > 4096) throw new ArgumentOutOfRangeException(nameof(Width), Width, "Image width must be between 8 and 4096 pixels.");
        if (Height is < 8 or > 4096) throw new ArgumentOutOfRangeException(nameof(Height), Height, "Image height must be between 8 and 4096 pixels.");
    }
}
