using SkiaSharp;

namespace CastingDefects.ML.Inference;

/// <summary>
/// Draws a <see cref="DefectHeatmap"/> over the original image, at the image's own size: the map (computed at the
/// model's input size, which the whole image was resized to) is stretched back over it in a blue-to-red scale whose
/// opacity follows the value, under a banner with the verdict and the defect probability.
/// </summary>
public static class HeatmapOverlay
{
    /// <summary>The overlay as PNG bytes.</summary>
    /// <param name="imagePath">The image the map was computed for.</param>
    /// <param name="map">Its heatmap.</param>
    /// <param name="verdict">The text of the verdict ("NG", "OK", or a class name).</param>
    public static byte[] RenderPng(string imagePath, DefectHeatmap map, string verdict)
    {
        ArgumentNullException.ThrowIfNull(map);
        string full = CastingDefects.ML.IO.InputFile.Require(imagePath);
        Data.ImageGuard.Check(full); // a header bomb is refused before anything is decoded
        using var original = SKBitmap.Decode(full) ?? throw new InvalidDataException($"Image '{full}' could not be decoded.");
        using var heat = new SKBitmap(new SKImageInfo(map.Width, map.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < map.Height; y++)
            for (int x = 0; x < map.Width; x++)
            {
                float v = map.Values[y * map.Width + x];
                heat.SetPixel(x, y, Color(v));
            }
        using var surface = SKSurface.Create(new SKImageInfo(original.Width, original.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.DrawBitmap(original, 0, 0);
        using (var paint = new SKPaint { FilterQuality = SKFilterQuality.Medium })
            canvas.DrawBitmap(heat, new SKRect(0, 0, original.Width, original.Height), paint);
        float textSize = Math.Max(10, original.Height / 14f);
        using var font = new SKFont(SKTypeface.Default, textSize);
        using var text = new SKPaint { Color = SKColors.White, IsAntialias = true };
        using var banner = new SKPaint { Color = new SKColor(0, 0, 0, 160) };
        string label = $"{verdict}  p(defect) = {map.Probability:0.000}";
        canvas.DrawRect(0, 0, original.Width, textSize * 1.5f, banner);
        canvas.DrawText(label, textSize * 0.3f, textSize * 1.1f, font, text);
        canvas.Flush();
        using var snapshot = surface.Snapshot();
        using var png = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    /// <summary>
    /// The map alone as a PNG at the model's input size, in the overlay's colours with their transparency, to lay over
    /// the image in another renderer (a web page draws the image fitted into the input's aspect, as the model saw it,
    /// and stretches this over it).
    /// </summary>
    public static byte[] MapPng(DefectHeatmap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        using var heat = new SKBitmap(new SKImageInfo(map.Width, map.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < map.Height; y++)
            for (int x = 0; x < map.Width; x++)
                heat.SetPixel(x, y, Color(map.Values[y * map.Width + x]));
        using var data = heat.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>
    /// A contact sheet: the overlays (PNG bytes, as <see cref="RenderPng"/> writes them) side by side, each fitted into
    /// a <paramref name="tile"/> x <paramref name="tile"/> cell, <paramref name="columns"/> per row; as PNG bytes.
    /// </summary>
    public static byte[] Sheet(IReadOnlyList<byte[]> overlays, int tile = 240, int columns = 4)
    {
        ArgumentNullException.ThrowIfNull(overlays);
        if (overlays.Count == 0) throw new ArgumentException("A sheet needs at least one overlay.", nameof(overlays));
        if (tile < 16) throw new ArgumentOutOfRangeException(nameof(tile), tile, "Tiles must be at least 16 pixels.");
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), columns, "At least one column.");
        const int gap = 4;
        int cols = Math.Min(columns, overlays.Count), rows = (overlays.Count + cols - 1) / cols;
        using var surface = SKSurface.Create(new SKImageInfo(gap + cols * (tile + gap), gap + rows * (tile + gap), SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(new SKColor(40, 40, 40));
        using var paint = new SKPaint { FilterQuality = SKFilterQuality.High };
        for (int i = 0; i < overlays.Count; i++)
        {
            using var bitmap = SKBitmap.Decode(overlays[i]) ?? throw new InvalidDataException($"Overlay {i} is not a decodable image.");
            float scale = Math.Min((float)tile / bitmap.Width, (float)tile / bitmap.Height);
            float w = bitmap.Width * scale, h = bitmap.Height * scale;
            float x = gap + i % cols * (tile + gap) + (tile - w) / 2, y = gap + i / cols * (tile + gap) + (tile - h) / 2;
            canvas.DrawBitmap(bitmap, new SKRect(x, y, x + w, y + h), paint);
        }
        canvas.Flush();
        using var snapshot = surface.Snapshot();
        using var png = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    /// <summary>Blue (low) through green and yellow to red (high); transparent where the map is near zero.</summary>
    private static SKColor Color(float v)
    {
        v = Math.Clamp(v, 0f, 1f);
        float r = Math.Clamp(1.5f - Math.Abs(4 * v - 3), 0, 1), g = Math.Clamp(1.5f - Math.Abs(4 * v - 2), 0, 1), b = Math.Clamp(1.5f - Math.Abs(4 * v - 1), 0, 1);
        return new SKColor((byte)(255 * r), (byte)(255 * g), (byte)(255 * b), (byte)(200 * Math.Sqrt(v)));
    }
}
