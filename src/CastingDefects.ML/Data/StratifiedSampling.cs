namespace CastingDefects.ML.Data;

/// <summary>
/// The one stratified split of the library, behind <see cref="ImageFolderDataset.StratifiedSplit"/> and
/// <c>mlContext.Data.StratifiedSplit</c>: class by class in ascending order, the items of a class (in their order) are
/// shuffled by one seeded <see cref="Random"/> and the first ⌊n × fraction⌋ are held out (Keras's rounding: the 6,633
/// casting images give 5,307 / 1,326).
/// </summary>
internal static class StratifiedSampling
{
    /// <summary>For each item (its class in <paramref name="classOf"/>), whether it is held out.</summary>
    public static bool[] HeldOut(IReadOnlyList<int> classOf, double fraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(classOf);
        if (fraction is <= 0 or >= 1 || double.IsNaN(fraction))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The held-out fraction must be in (0, 1).");
        var heldOut = new bool[classOf.Count];
        var random = new Random(seed);
        foreach (var cls in classOf.Distinct().Order())
        {
            var indices = Enumerable.Range(0, classOf.Count).Where(i => classOf[i] == cls).ToArray();
            random.Shuffle(indices);
            foreach (var i in indices.Take((int)Math.Floor(indices.Length * fraction))) heldOut[i] = true;
        }
        return heldOut;
    }
}
