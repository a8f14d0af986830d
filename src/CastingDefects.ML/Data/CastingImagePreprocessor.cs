using SkiaSharp;

namespace CastingDefects.ML.Data;

/// <summary>
/// Decodes and preprocesses one image outside ML.NET with exactly the operations of
/// <see cref="CastingTransformsCatalog.LoadCastingImages(Microsoft.ML.TransformsCatalog, CastingImageOptions)"/>
/// (SkiaSharp decode, high-quality aspect-preserving resize into the target, grayscale by 0.3 R + 0.59 G + 0.11 B,
/// planar pixels times 1/255), so a model fed either way sees the same numbers. Used by the ONNX Runtime path.
/// </summary>
public static class CastingImagePreprocessor
{
    private static readonly SKColorFilter Grayscale = SKColorFilter.CreateColorMatrix(
    [
        0.3f, 0.59f, 0.11f, 0, 0,
        0.3f, 0.59f, 0.11f, 0, 0,
        0.3f, 0.59f, 0.11f, 0, 0,
        0, 0, 0, 1, 0,
    ]);

    /// <summary>The pixel vector of <paramref name="path"/>: C x H x W values in [0, 1].</summary>
    public static float[] Load(string path, CastingImageOptions options)
    {
        var result = new float[options.FeatureLength];
        Load(path, options, result);
        return result;
    }

    /// <summary>Writes the pixel vector of <paramref name="path"/> into <paramref name="destination"/> (length C x H x W).</summary>
    public static void Load(string path, CastingImageOptions options, Span<float> destination)
    {
        CheckLength(options, destination.Length);
        using var bitmap = Render(Decode(path), options);
        Write(bitmap, options, destination);
    }

    /// <summary>
    /// Writes the pixel vector of an encoded image held in memory (an upload, a camera frame: JPEG, PNG, BMP…) into
    /// <paramref name="destination"/>, with the same numbers as the file overloads give for the same bytes. Stricter
    /// than a file, which ML.NET's loader would also accept: a truncated image is refused instead of decoded in part.
    /// <paramref name="name"/> names the image in the error.
    /// </summary>
    public static void Load(ReadOnlyMemory<byte> encoded, string name, CastingImageOptions options, Span<float> destination)
    {
        CheckLength(options, destination.Length);
        using var bitmap = Render(Decode(encoded, name), options);
        Write(bitmap, options, destination);
    }

    private static void Write(SKBitmap bitmap, CastingImageOptions options, Span<float> destination)
    {
        var bytes = bitmap.GetPixelSpan();
        bool bgra = bitmap.ColorType == SKColorType.Bgra8888;
        int plane = options.Width * options.Height, stride = bitmap.RowBytes;
        const float scale = 1f / 255; // as ML.NET's ExtractPixels: value * scale
        for (int y = 0; y < options.Height; y++)
            for (int x = 0; x < options.Width; x++)
            {
                int p = y * stride + x * 4, i = y * options.Width + x;
                destination[i] = bytes[p + (bgra ? 2 : 0)] * scale;
                if (options.Grayscale) continue;
                destination[plane + i] = bytes[p + 1] * scale;
                destination[2 * plane + i] = bytes[p + (bgra ? 0 : 2)] * scale;
            }
    }

    /// <summary>
    /// The same pixels as <see cref="Load(string, CastingImageOptions, Span{float})"/> before scaling: 0-255 as bytes,
    /// planar. Value / 255 equals the float pipeline's value exactly; a quarter of the memory for training sets.
    /// </summary>
    public static void LoadBytes(string path, CastingImageOptions options, Span<byte> destination)
    {
        CheckLength(options, destination.Length);
        using var bitmap = Render(Decode(path), options);
        var bytes = bitmap.GetPixelSpan();
        bool bgra = bitmap.ColorType == SKColorType.Bgra8888;
        int plane = options.Width * options.Height, stride = bitmap.RowBytes;
        for (int y = 0; y < options.Height; y++)
            for (int x = 0; x < options.Width; x++)
            {
                int p = y * stride + x * 4, i = y * options.Width + x;
                destination[i] = bytes[p + (bgra ? 2 : 0)];
                if (options.Grayscale) continue;
                destination[plane + i] = bytes[p + 1];
                destination[2 * plane + i] = bytes[p + (bgra ? 0 : 2)];
            }
    }

    private static void CheckLength(CastingImageOptions options, int length)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (length != options.FeatureLength)
            throw new ArgumentException($"Destination holds {length} values; {options.Channels}x{options.Height}x{options.Width} needs {options.FeatureLength}.", "destination");
    }

    private static SKBitmap Decode(string path)
    {
        ImageGuard.Check(path); // header first: no pixel buffer for a bomb
        return SKBitmap.Decode(path) ?? throw new InvalidDataException($"'{path}' is not a decodable image.");
    }

    /// <summary>
    /// Decodes as <see cref="SKBitmap.Decode(SKCodec)"/> does (the codec's own colour type, premultiplied, no colour
    /// space), after <see cref="ImageGuard"/>'s header check, refusing incomplete data instead of filling it in.
    /// </summary>
    private static SKBitmap Decode(ReadOnlyMemory<byte> encoded, string name)
    {
        if (encoded.IsEmpty) throw new InvalidDataException($"'{name}': empty image (0 bytes).");
        using var data = SKData.CreateCopy(encoded.Span);
        using var codec = SKCodec.Create(data) ?? throw new InvalidDataException($"'{name}': not a decodable image (not JPEG, PNG, BMP, GIF or WebP data).");
        if (ImageGuard.Inspect(codec.Info, encoded.Length, ImageProbe.DefaultMaxPixels) is { } refused)
            throw new InvalidDataException($"'{name}': {refused}");
        var info = codec.Info;
        if (info.AlphaType == SKAlphaType.Unpremul) info.AlphaType = SKAlphaType.Premul;
        info.ColorSpace = null;
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result == SKCodecResult.Success) return bitmap;
        bitmap.Dispose();
        throw new InvalidDataException(result == SKCodecResult.IncompleteInput
            ? $"'{name}': the image data is cut short (truncated); refused"
            : $"'{name}': the image data cannot be decoded ({result}).");
    }

    /// <summary>Resize into the target (aspect kept, padded) and, for grayscale, convert, as ML.NET's transforms do; disposes <paramref name="decoded"/>.</summary>
    private static SKBitmap Render(SKBitmap decoded, CastingImageOptions options)
    {
        using var _ = decoded;
        using var source = decoded.ColorType is SKColorType.Bgra8888 or SKColorType.Rgba8888 ? null : decoded.Copy(SKColorType.Bgra8888);
        var image = source ?? decoded;

        if (image.Width == options.Width && image.Height == options.Height && options.Grayscale)
            return ToGray(image, options); // same size: the resize is an identity copy, skip it (the casting images are 300x300)

        var resized = new SKBitmap(options.Width, options.Height, isOpaque: true);
        resized.Erase(SKColors.Black);
        float widthAspect = (float)options.Width / image.Width, heightAspect = (float)options.Height / image.Height;
        float aspect = Math.Min(widthAspect, heightAspect);
        int destX = heightAspect < widthAspect ? (int)((options.Width - image.Width * aspect) / 2) : 0;
        int destY = heightAspect < widthAspect ? 0 : (int)((options.Height - image.Height * aspect) / 2);
        using (var canvas = new SKCanvas(resized))
        using (var paint = new SKPaint { FilterQuality = SKFilterQuality.High })
            canvas.DrawBitmap(image, new SKRect(0, 0, image.Width, image.Height),
                new SKRect(destX, destY, destX + (int)(image.Width * aspect), destY + (int)(image.Height * aspect)), paint);
        if (!options.Grayscale) return resized;
        using (resized) return ToGray(resized, options);
    }

    private static SKBitmap ToGray(SKBitmap image, CastingImageOptions options)
    {
        var gray = new SKBitmap(options.Width, options.Height, isOpaque: true);
        using var canvas = new SKCanvas(gray);
        using var paint = new SKPaint { ColorFilter = Grayscale, FilterQuality = SKFilterQuality.High };
        canvas.DrawBitmap(image, 0f, 0f, paint);
        return gray;
    }
}
