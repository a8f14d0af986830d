using System.Buffers;
using SkiaSharp;

namespace CastingDefects.ML.Data;

/// <summary>What <see cref="ImageProbe.Probe"/> found out about one file.</summary>
/// <param name="Path">The file.</param>
/// <param name="Error">Null when the image is usable; otherwise what is wrong with it.</param>
/// <param name="Width">Width from the header (0 when unknown).</param>
/// <param name="Height">Height from the header (0 when unknown).</param>
/// <param name="Channels">1 for 8-bit gray, 3 for opaque color, 4 for color with alpha (0 when unknown).</param>
/// <param name="Format">Encoded format (Jpeg, Png, Bmp…), or null when unknown.</param>
public sealed record ImageProbeResult(string Path, string? Error, int Width, int Height, int Channels, string? Format)
{
    /// <summary>True when the image can be used.</summary>
    public bool IsReadable => Error is null;
}

/// <summary>
/// Checks image files without trusting them: the header is read first and an image whose header claims more than
/// <see cref="DefaultMaxPixels"/> is refused before any pixel buffer is allocated; then (optionally) the whole file is
/// decoded at reduced scale to detect truncation and corruption.
/// </summary>
public static class ImageProbe
{
    /// <summary>Largest width x height accepted by default (64 megapixels).</summary>
    public const long DefaultMaxPixels = 64L * 1024 * 1024;

    /// <summary>File extensions treated as images (case-insensitive).</summary>
    public static readonly IReadOnlySet<string> ImageExtensions =
        new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".bmp" };

    /// <summary>True when the file name has one of <see cref="ImageExtensions"/>.</summary>
    public static bool HasImageExtension(string path) => ImageExtensions.Contains(System.IO.Path.GetExtension(path));

    /// <summary>Reads the header of <paramref name="path"/> and, when <paramref name="decodeFully"/>, decodes it.</summary>
    public static ImageProbeResult Probe(string path, bool decodeFully = true, long maxPixels = DefaultMaxPixels)
    {
        FileInfo file;
        try
        {
            file = new FileInfo(path);
            if (!file.Exists) return new(path, "file not found", 0, 0, 0, null);
            if (file.Length == 0) return new(path, "empty file (0 bytes)", 0, 0, 0, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new(path, "cannot read: " + e.Message, 0, 0, 0, null);
        }

        try
        {
            using var stream = File.OpenRead(path);
            using var codec = SKCodec.Create(stream, out var result);
            if (codec is null)
                return new(path, $"not a decodable image ({Describe(result)})", 0, 0, 0, null);

            var info = codec.Info;
            string format = codec.EncodedFormat.ToString();
            int channels = info.ColorType == SKColorType.Gray8 ? 1 : info.AlphaType == SKAlphaType.Opaque ? 3 : 4;
            if (ImageGuard.Inspect(info, file.Length, maxPixels) is { } refused)
                return new(path, refused, info.Width, info.Height, channels, format);
            if (!decodeFully) return new(path, null, info.Width, info.Height, channels, format);

            // Decode at the smallest scale the codec supports (JPEG decodes 1/8 scale natively): every byte is
            // still read, so truncation and corrupt entropy data are found at a fraction of the cost.
            var scaled = codec.GetScaledDimensions(1f / 8);
            if (scaled.Width <= 0 || scaled.Height <= 0) scaled = new SKSizeI(info.Width, info.Height);
            var decode = Decode(codec, scaled);
            if (decode == SKCodecResult.InvalidScale) decode = Decode(codec, new SKSizeI(info.Width, info.Height));
            return decode == SKCodecResult.Success
                ? new(path, null, info.Width, info.Height, channels, format)
                : new(path, $"image data is {Describe(decode)}", info.Width, info.Height, channels, format);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            return new(path, "cannot decode: " + e.Message, 0, 0, 0, null);
        }
    }

    /// <summary>Decodes the whole stream at <paramref name="size"/> into a pooled buffer and returns the codec's verdict.</summary>
    private static SKCodecResult Decode(SKCodec codec, SKSizeI size)
    {
        var target = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(target.BytesSize);
        try
        {
            unsafe
            {
                fixed (byte* p = buffer) return codec.GetPixels(target, (IntPtr)p);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string Describe(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput => "truncated (incomplete input)",
        SKCodecResult.ErrorInInput => "corrupt (error in input)",
        SKCodecResult.InvalidInput => "unrecognised or invalid format",
        SKCodecResult.Unimplemented => "an unsupported variant",
        _ => result.ToString(),
    };
}
