namespace CastingDefects.ML.Training.Anomaly;

/// <summary>
/// The d x C matrix that maps the backbone's C embedding channels to PaDiM's d dimensions: rows of the identity (a
/// random channel subset) or d orthonormal rows (a semi-orthogonal embedding). Drawn in managed code, in float64, from a
/// seeded <see cref="Random"/>, so it is the same on every machine.
/// </summary>
internal static class PadimProjection
{
    /// <summary>The row-major [d, channels] projection.</summary>
    public static float[] Draw(PadimEmbedding embedding, int channels, int d, int seed) => embedding switch
    {
        PadimEmbedding.RandomChannels => Selection(channels, d, seed),
        PadimEmbedding.SemiOrthogonal => SemiOrthogonal(channels, d, seed),
        _ => throw new ArgumentOutOfRangeException(nameof(embedding), embedding, "Unknown PaDiM embedding."),
    };

    private static float[] Selection(int channels, int d, int seed)
    {
        // The seeded channel draw (Fisher–Yates from the end); the measured figures in the README depend on it.
        var order = Enumerable.Range(0, channels).ToArray();
        var random = new Random(seed);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        var kept = order.Take(d).Order().ToArray();
        var projection = new float[d * channels];
        for (int row = 0; row < d; row++) projection[row * channels + kept[row]] = 1f;
        return projection;
    }

    private static float[] SemiOrthogonal(int channels, int d, int seed)
    {
        // Gaussian rows (Box–Muller), orthonormalised by modified Gram–Schmidt twice (stable in float64).
        var random = new Random(seed);
        var rows = new double[d][];
        for (int r = 0; r < d; r++)
        {
            rows[r] = new double[channels];
            for (int c = 0; c < channels; c++)
                rows[r][c] = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        }
        for (int pass = 0; pass < 2; pass++)
            for (int r = 0; r < d; r++)
            {
                for (int q = 0; q < r; q++)
                {
                    double dot = 0;
                    for (int c = 0; c < channels; c++) dot += rows[r][c] * rows[q][c];
                    for (int c = 0; c < channels; c++) rows[r][c] -= dot * rows[q][c];
                }
                double norm = Math.Sqrt(rows[r].Sum(v => v * v));
                for (int c = 0; c < channels; c++) rows[r][c] /= norm;
            }
        return rows.SelectMany(row => row.Select(v => (float)v)).ToArray();
    }
}
