using SkiaSharp;

namespace CastingDefects.ML.Data;

/// <summary>
/// The one check every path that decodes an image makes first (<see cref="ImageProbe"/>, <see cref="CastingImagePreprocessor"/>,
/// <c>CastingOnnxModel</c>, and ML.NET's image loading inside <c>LoadCastingImages</c> and <c>LoadCastingModel</c>):
/// the header is read, without decoding, and an image is refused when it claims more than
/// <see cref="ImageProbe.DefaultMaxPixels"/> pixels, or far more pixels than its file can hold (a decompression bomb:
/// a 15 KB JPEG whose header says 60000x60000 would make the decoder allocate 14 GB).
/// </summary>
public static class ImageGuard
{
    /// <summary>
    /// Most pixels a file may claim per byte it holds. Photographs hold well under 100 pixels per byte (the Kaggle
    /// castings: about 5); even a flat image stays far below the limit (a flat 8x8 JPEG block costs a few bits, and
    /// deflate compresses a flat PNG at most about 1,032:1, some 340 RGB pixels per byte).
    /// </summary>
    public const long MaxPixelsPerByte = 10_000;

    /// <summary>
    /// Throws <see cref="InvalidDataException"/> naming <paramref name="path"/> when its header must not be decoded;
    /// otherwise returns the number of pixels it claims.
    /// </summary>
    public static long Check(string path, long maxPixels = ImageProbe.DefaultMaxPixels)
    {
        if (Inspect(path, maxPixels, out long pixels) is { } error) throw new InvalidDataException($"'{path}': {error}");
        return pixels;
    }

    /// <summary>What is wrong with the header of <paramref name="path"/>, or null when it may be decoded.</summary>
    public static string? Inspect(string path, long maxPixels = ImageProbe.DefaultMaxPixels) => Inspect(path, maxPixels, out _);

    private static string? Inspect(string path, long maxPixels, out long pixels)
    {
        pixels = 0;
        try
        {
            var file = new FileInfo(path);
            if (!file.Exists) return "file not found";
            if (file.Length == 0) return "empty file (0 bytes) or not a regular file";
            using var stream = File.OpenRead(path);
            using var codec = SKCodec.Create(stream, out var result);
            if (codec is null) return $"not a decodable image ({result})";
            pixels = (long)codec.Info.Width * codec.Info.Height;
            return Inspect(codec.Info, file.Length, maxPixels);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "cannot read: " + e.Message;
        }
    }

    /// <summary>What is wrong with a header of <paramref name="info"/> in a file of <paramref name="fileBytes"/>, or null.</summary>
    internal static string? Inspect(SKImageInfo info, long fileBytes, long maxPixels)
    {
        if (info.Width <= 0 || info.Height <= 0) return $"invalid dimensions {info.Width}x{info.Height} in header";
        long pixels = (long)info.Width * info.Height;
        if (pixels > maxPixels)
            return $"header claims {info.Width}x{info.Height} pixels, more than the limit of {maxPixels:N0}; refused before decoding";
        if (pixels > fileBytes * MaxPixelsPerByte)
            return $"header claims {info.Width}x{info.Height} pixels but the file holds only {fileBytes:N0} bytes (a decompression bomb?); refused before decoding";
        return null;
    }
}
