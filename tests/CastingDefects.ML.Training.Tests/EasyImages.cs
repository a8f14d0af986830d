using SkiaSharp;

namespace CastingDefects.ML.Training.Tests;

/// <summary>
/// Image folders whose classes the paper's CNN tells apart in a few epochs (on disk, for the ML.NET and CLI paths):
/// 64x64 gray PNGs of a noisy, unevenly lit surface. <c>def_front</c> images carry a dark disc, a class named
/// <c>bright_*</c> a bright one, every other class none.
/// </summary>
public static class EasyImages
{
    public static string Write(string root, int perClass, int seed, params string[] classes)
    {
        if (classes.Length == 0) classes = ["def_front", "ok_front"];
        for (int c = 0; c < classes.Length; c++)
        {
            string folder = Path.Combine(root, classes[c]);
            Directory.CreateDirectory(folder);
            for (int i = 0; i < perClass; i++)
            {
                var random = new Random(seed * 7919 + c * 104729 + i);
                using var bitmap = new SKBitmap(new SKImageInfo(64, 64, SKColorType.Rgba8888, SKAlphaType.Opaque));
                int level = random.Next(100, 150);
                for (int y = 0; y < 64; y++)
                    for (int x = 0; x < 64; x++)
                    {
                        byte v = (byte)Math.Clamp(level + x / 8 + random.Next(-12, 13), 0, 255);
                        bitmap.SetPixel(x, y, new SKColor(v, v, v));
                    }
                int? disc = classes[c].StartsWith("def", StringComparison.OrdinalIgnoreCase) ? level - 80
                    : classes[c].StartsWith("bright", StringComparison.OrdinalIgnoreCase) ? level + 90 : null;
                if (disc is { } shade)
                {
                    using var canvas = new SKCanvas(bitmap);
                    using var paint = new SKPaint { IsAntialias = true, Color = new SKColor((byte)shade, (byte)shade, (byte)shade) };
                    canvas.DrawCircle(random.Next(14, 50), random.Next(14, 50), random.Next(6, 10), paint);
                }
                using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
                File.WriteAllBytes(Path.Combine(folder, $"{classes[c]}_{i:D3}.png"), data.ToArray());
            }
        }
        return root;
    }
}
