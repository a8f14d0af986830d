using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Augmentation;

/// <summary>Applies an <see cref="ImageAugmentation"/> to a batch [N, C, H, W] with one affine warp per sample.</summary>
internal sealed class BatchAugmenter
{
    private readonly ImageAugmentation _options;
    private readonly Random _random;

    public BatchAugmenter(ImageAugmentation options, int seed)
    {
        _options = options;
        _random = new Random(seed);
    }

    /// <summary>The 2x3 matrices (normalised coordinates, output to input) for <paramref name="count"/> samples.</summary>
    public float[] SampleMatrices(int count)
    {
        var theta = new float[count * 6];
        for (int i = 0; i < count; i++)
        {
            double angle = Uniform(_options.RotationDegrees) * Math.PI / 180;
            double shear = Uniform(_options.ShearDegrees) * Math.PI / 180;
            double zx = 1 + Uniform(_options.Zoom), zy = 1 + Uniform(_options.Zoom);
            double fx = _options.HorizontalFlip && _random.NextDouble() < 0.5 ? -1 : 1;
            double fy = _options.VerticalFlip && _random.NextDouble() < 0.5 ? -1 : 1;
            // Keras composes rotation, shear and zoom into one matrix mapping output to input coordinates.
            double c = Math.Cos(angle), s = Math.Sin(angle);
            double[,] rot = { { c, -s }, { s, c } };
            double[,] sh = { { 1, -Math.Sin(shear) }, { 0, Math.Cos(shear) } };
            double[,] zoom = { { zx, 0 }, { 0, zy } };
            var m = Mul(Mul(rot, sh), zoom);
            theta[i * 6 + 0] = (float)(m[0, 0] * fx); theta[i * 6 + 1] = (float)(m[0, 1] * fy); theta[i * 6 + 2] = 0;
            theta[i * 6 + 3] = (float)(m[1, 0] * fx); theta[i * 6 + 4] = (float)(m[1, 1] * fy); theta[i * 6 + 5] = 0;
        }
        return theta;
    }

    /// <summary>Warps the batch; "nearest" fill is the border padding mode.</summary>
    public Tensor Apply(Tensor batch)
    {
        if (_options.IsIdentity) return batch;
        long n = batch.shape[0];
        using var theta = tensor(SampleMatrices((int)n), [n, 2, 3]);
        using var grid = nn.functional.affine_grid(theta, batch.shape, align_corners: false);
        return nn.functional.grid_sample(batch, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Border, align_corners: false);
    }

    private double Uniform(double range) => range == 0 ? 0 : (_random.NextDouble() * 2 - 1) * range;

    private static double[,] Mul(double[,] a, double[,] b) => new double[,]
    {
        { a[0, 0] * b[0, 0] + a[0, 1] * b[1, 0], a[0, 0] * b[0, 1] + a[0, 1] * b[1, 1] },
        { a[1, 0] * b[0, 0] + a[1, 1] * b[1, 0], a[1, 0] * b[0, 1] + a[1, 1] * b[1, 1] },
    };
}
