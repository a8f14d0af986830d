namespace CastingDefects.ML.Augmentation;

/// <summary>
/// Random augmentation with Keras's ImageDataGenerator semantics: flips with probability 0.5, rotation uniform in
/// ±<see cref="RotationDegrees"/>, zoom per axis uniform in [1 - z, 1 + z], shear angle uniform in ±<see cref="ShearDegrees"/>,
/// points outside the image filled with the nearest edge pixel. Drawn per sample and per epoch from the seed.
/// </summary>
public sealed class ImageAugmentation
{
    /// <summary>Mirror left-right with probability 0.5.</summary>
    public bool HorizontalFlip { get; set; }

    /// <summary>Mirror top-bottom with probability 0.5.</summary>
    public bool VerticalFlip { get; set; }

    /// <summary>Maximum rotation in degrees.</summary>
    public float RotationDegrees { get; set; }

    /// <summary>Zoom range z: scale factors in [1 - z, 1 + z] per axis.</summary>
    public float Zoom { get; set; }

    /// <summary>Maximum shear angle in degrees (Keras's shear_range).</summary>
    public float ShearDegrees { get; set; }

    /// <summary>True when no transformation is enabled.</summary>
    public bool IsIdentity => !HorizontalFlip && !VerticalFlip && RotationDegrees == 0 && Zoom == 0 && ShearDegrees == 0;

    /// <summary>
    /// The paper's settings: horizontal and vertical flips, rotation ±4 degrees, zoom 0.2 and shear 0.2 (Keras's
    /// shear_range is in degrees, so 0.2 degrees).
    /// </summary>
    public static ImageAugmentation Paper => new() { HorizontalFlip = true, VerticalFlip = true, RotationDegrees = 4, Zoom = 0.2f, ShearDegrees = 0.2f };
}
