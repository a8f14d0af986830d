using CastingDefects.ML.Augmentation;
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
            var m = AffineSample.Draw(_options, _random);
            theta[i * 6 + 0] = (float)m.M00; theta[i * 6 + 1] = (float)m.M01;
            theta[i * 6 + 3] = (float)m.M10; theta[i * 6 + 4] = (float)m.M11;
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
}
