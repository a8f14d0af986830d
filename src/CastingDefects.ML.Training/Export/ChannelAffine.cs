namespace CastingDefects.ML.Training.Export;

/// <summary>
/// A per-channel affine map y = x * Scale[c] + Shift[c], as left by an inference-mode BatchNormalization, carried
/// forward by the exporter until a linear layer can absorb it into its weights.
/// </summary>
/// <param name="Scale">Per-channel scale.</param>
/// <param name="Shift">Per-channel shift.</param>
internal sealed record ChannelAffine(float[] Scale, float[] Shift)
{
    /// <summary>True when every scale is positive: max pooling then commutes with the map.</summary>
    public bool AllScalesPositive => Scale.All(s => s > 0);

    /// <summary>This map followed by <paramref name="next"/>, as one map.</summary>
    public ChannelAffine Then(ChannelAffine next)
    {
        var scale = new float[next.Scale.Length];
        var shift = new float[next.Scale.Length];
        for (int c = 0; c < scale.Length; c++)
        {
            scale[c] = Scale[c] * next.Scale[c];
            shift[c] = Shift[c] * next.Scale[c] + next.Shift[c];
        }
        return new ChannelAffine(scale, shift);
    }

    /// <summary>The same map for a channels-first flatten of (C, H, W): each channel repeated H*W times.</summary>
    public ChannelAffine Expand(int spatial) => new(
        Scale.SelectMany(s => Enumerable.Repeat(s, spatial)).ToArray(),
        Shift.SelectMany(s => Enumerable.Repeat(s, spatial)).ToArray());
}
