namespace CastingDefects.ML.IO;

/// <summary>
/// Derives seeds from several integers with a fixed mixing function (SplitMix64). Unlike
/// <see cref="HashCode.Combine{T1, T2}"/>, which .NET randomises per process, the result is the same in every process,
/// so shuffles, augmentations and synthetic images are reproducible across runs and after a resume.
/// </summary>
public static class StableSeed
{
    /// <summary>A non-negative seed mixed from <paramref name="values"/>.</summary>
    public static int Mix(params ReadOnlySpan<long> values)
    {
        ulong h = 0x9E3779B97F4A7C15UL;
        foreach (long v in values) h = SplitMix(h ^ (ulong)v);
        return (int)(h & 0x7FFFFFFF);
    }

    /// <summary>A seed from a string (e.g. a file path), stable across processes and platforms.</summary>
    public static int Mix(string text, long salt)
    {
        ulong h = 0xCBF29CE484222325UL; // FNV-1a over UTF-16 code units
        foreach (char c in text) h = (h ^ c) * 0x100000001B3UL;
        return Mix((long)h, salt);
    }

    private static ulong SplitMix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
