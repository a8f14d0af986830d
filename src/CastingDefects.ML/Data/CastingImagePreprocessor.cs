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
        ArgumentNullException.ThrowIfNull(options);
        if (destination.Length != options.FeatureLength)
            throw new ArgumentException($"Destination holds {destination.Length} values; {options.Channels}x{options.Height}x{options.Width} needs {options.FeatureLength}.", nameof(destination));
        using var decoded = SKBitmap.Decode(path) ?? throw new InvalidDataException($"'{path}' is not a decodable image.");
        using var source = decoded.ColorType is SKColorType.Bgra8888 or SKColorType.Rgba8888 ? null : decoded.Copy(SKColorType.Bgra8888);
        var image = source ?? decoded;

        using var resized = new SKBitmap(options.Width, options.Height, isOpaque: true);
        resized.Erase(SKColors.Black);
        float widthAspect = (float)options.Width / image.Width, heightAspect = (float)options.Height / image.Height;
        float aspect = Math.Min(widthAspect, heightAspect);
        int destX = heightAspect < widthAspect ? (int)((options.Width - image.Width * aspect) / 2) : 0;
        int destY = heightAspect < widthAspect ? 0 : (int)((options.Height - image.Height * aspect) / 2);
        using (var canvas = new SKCanvas(resized))
        using (var paint = new SKPaint { FilterQuality = SKFilterQuality.High })
            canvas.DrawBitmap(image, new SKRect(0, 0, image.Width, image.Height),
                new SKRect(destX, destY, destX + (int)(image.Width * aspect), destY + (int)(image.Height * aspect)), paint);

        SKBitmap pixels = resized;
        SKBitmap? gray = null;
        try
        {
            if (options.Grayscale)
            {
                gray = new SKBitmap(options.Width, options.Height, isOpaque: true);
                using var canvas = new SKCanvas(gray);
                using var paint = new SKPaint { ColorFilter = Grayscale, FilterQuality = SKFilterQuality.High };
                canvas.DrawBitmap(resized, 0f, 0f, paint);
                pixels = gray;
            }
            Extract(pixels, options, destination);
        }
        finally
        {
            gray?.Dispose();
        }
    }

    private static void Extract(SKBitmap bitmap, CastingImageOptions options, Span<float> destination)
    {
        var span = bitmap.GetPixelSpan();
        bool bgra = bitmap.ColorType == SKColorType.Bgra8888;
        int plane = options.Width * options.Height, stride = bitmap.RowBytes;
        const float scale = 1f / 255;
        for (int y = 0; y < options.Height; y++)
        {
            for (int x = 0; x < options.Width; x++)
            {
                int p = y * stride + x * 4, i = y * options.Width + x;
                byte r = span[p + (bgra ? 2 : 0)], g = span[p + 1], b = span[p + (bgra ? 0 : 2)];
                destination[i] = r * scale;
                if (!options.Grayscale)
                {
                    destination[plane + i] = g * scale;
                    destination[2 * plane + i] = b * scale;
                }
            }
        }
    }
}
