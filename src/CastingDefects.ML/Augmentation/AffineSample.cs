namespace CastingDefects.ML.Augmentation;

/// <summary>
/// One random draw of an <see cref="ImageAugmentation"/>: the 2x2 matrix that maps output coordinates to input
/// coordinates, both centred on the image and normalised to [-1, 1] (rotation, shear and zoom composed as Keras does,
/// flips applied as sign changes).
/// </summary>
/// <param name="M00">Row 0, column 0.</param>
/// <param name="M01">Row 0, column 1.</param>
/// <param name="M10">Row 1, column 0.</param>
/// <param name="M11">Row 1, column 1.</param>
public readonly record struct AffineSample(double M00, double M01, double M10, double M11)
{
    /// <summary>Draws one sample from <paramref name="random"/>; the draw order is fixed so a seed reproduces it.</summary>
    public static AffineSample Draw(ImageAugmentation options, Random random)
    {
        double Uniform(double range) => range == 0 ? 0 : (random.NextDouble() * 2 - 1) * range;
        double angle = Uniform(options.RotationDegrees) * Math.PI / 180;
        double shear = Uniform(options.ShearDegrees) * Math.PI / 180;
        double zx = 1 + Uniform(options.Zoom), zy = 1 + Uniform(options.Zoom);
        double fx = options.HorizontalFlip && random.NextDouble() < 0.5 ? -1 : 1;
        double fy = options.VerticalFlip && random.NextDouble() < 0.5 ? -1 : 1;
        double c = Math.Cos(angle), s = Math.Sin(angle);
        // rotation * shear * zoom, then the flips on the input axes.
        double a00 = c, a01 = -s * Math.Cos(shear) - c * Math.Sin(shear);
        double a10 = s, a11 = c * Math.Cos(shear) - s * Math.Sin(shear);
        return new AffineSample(a00 * zx * fx, a01 * zy * fy, a10 * zx * fx, a11 * zy * fy);
    }
}
