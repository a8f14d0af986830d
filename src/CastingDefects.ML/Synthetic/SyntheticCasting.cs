using SkiaSharp;

namespace CastingDefects.ML.Synthetic;

/// <summary>One rendered synthetic casting with the ground truth of its defects.</summary>
/// <param name="Bitmap">The image (gray stored as RGBA); the caller disposes it.</param>
/// <param name="Defects">The kinds of defect drawn, <see cref="DefectKind.None"/> for a good part.</param>
/// <param name="DefectRegions">
/// One bounding box per drawn defect, in fractions of the image's width and height (0..1), so that it holds at any
/// resolution the image is resized to.
/// </param>
public sealed record SyntheticCasting(SKBitmap Bitmap, DefectKind Defects, IReadOnlyList<SKRect> DefectRegions) : IDisposable
{
    /// <inheritdoc />
    public void Dispose() => Bitmap.Dispose();
}
