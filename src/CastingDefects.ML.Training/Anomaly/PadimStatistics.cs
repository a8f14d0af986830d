namespace CastingDefects.ML.Training.Anomaly;

/// <summary>
/// What PaDiM learns from good images: at every position of the feature grid, the mean and the inverse covariance
/// (regularised) of the selected feature channels.
/// </summary>
/// <param name="Channels">The embedding channels kept, ascending.</param>
/// <param name="GridHeight">Rows of the feature grid.</param>
/// <param name="GridWidth">Columns of the feature grid.</param>
/// <param name="Mean">Means, [d, positions] (channel-major).</param>
/// <param name="InverseCovariance">Inverse covariances, [positions, d, d].</param>
/// <param name="Images">Good images the statistics were estimated from.</param>
internal sealed record PadimStatistics(int[] Channels, int GridHeight, int GridWidth, float[] Mean, float[] InverseCovariance, int Images)
{
    /// <summary>Channels kept per position.</summary>
    public int Dimensions => Channels.Length;

    /// <summary>Bytes of the means and inverse covariances (the model's "memory bank").</summary>
    public long Bytes => 4L * (Mean.LongLength + InverseCovariance.LongLength);

    /// <summary>Squared Mahalanobis distance of one position's selected features (reference for tests).</summary>
    public double SquaredDistance(int position, ReadOnlySpan<float> features)
    {
        int d = Dimensions, positions = GridHeight * GridWidth;
        var diff = new double[d];
        for (int i = 0; i < d; i++) diff[i] = features[i] - Mean[i * positions + position];
        double sum = 0;
        long offset = (long)position * d * d;
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                sum += diff[i] * InverseCovariance[offset + i * d + j] * diff[j];
        return sum;
    }
}
