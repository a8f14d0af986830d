namespace CastingDefects.ML.Training.Anomaly;

/// <summary>
/// What PaDiM learns from good images: the projection of the backbone's channels to d dimensions and, at every position
/// of the feature grid, the mean and the inverse covariance (regularised) of the projected features.
/// </summary>
/// <param name="Projection">Row-major [d, <paramref name="EmbeddingChannels"/>] (<see cref="PadimProjection"/>).</param>
/// <param name="EmbeddingChannels">Channels of the backbone's embedding.</param>
/// <param name="GridHeight">Rows of the feature grid.</param>
/// <param name="GridWidth">Columns of the feature grid.</param>
/// <param name="Mean">Means, [d, positions] (channel-major).</param>
/// <param name="InverseCovariance">Inverse covariances, [positions, d, d].</param>
/// <param name="Images">Good images the statistics were estimated from.</param>
internal sealed record PadimStatistics(float[] Projection, int EmbeddingChannels, int GridHeight, int GridWidth, float[] Mean, float[] InverseCovariance, int Images)
{
    /// <summary>Dimensions per position.</summary>
    public int Dimensions => Projection.Length / EmbeddingChannels;

    /// <summary>Bytes of the means and inverse covariances (the model's "memory bank").</summary>
    public long Bytes => 4L * (Mean.LongLength + InverseCovariance.LongLength);
}
