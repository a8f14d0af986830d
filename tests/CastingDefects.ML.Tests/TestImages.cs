using CastingDefects.ML.Synthetic;
using SkiaSharp;

namespace CastingDefects.ML.Tests;

/// <summary>Builds small image files for tests.</summary>
public static class TestImages
{
    public static byte[] Jpeg(int seed, bool defective = false, int size = 64)
    {
        using var bitmap = SyntheticCastingGenerator.Render(seed, 0, defective, size, 1f, out _);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    public static byte[] Png(int width, int height, SKColor color)
    {
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(color);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>A valid PNG whose IHDR claims width x height, with no pixel data to back it.</summary>
    public static byte[] PngHeaderClaiming(int width, int height) => BombImages.PngClaiming(width, height);

    /// <summary>An uncompressed 24-bit BMP (Skia has no BMP encoder), bottom-up rows, BGR.</summary>
    public static byte[] Bmp24(int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel)
    {
        int rowBytes = (width * 3 + 3) / 4 * 4, size = 54 + rowBytes * height;
        var b = new byte[size];
        b[0] = (byte)'B'; b[1] = (byte)'M';
        BitConverter.GetBytes(size).CopyTo(b, 2);
        BitConverter.GetBytes(54).CopyTo(b, 10);
        BitConverter.GetBytes(40).CopyTo(b, 14);
        BitConverter.GetBytes(width).CopyTo(b, 18);
        BitConverter.GetBytes(height).CopyTo(b, 22);
        BitConverter.GetBytes((short)1).CopyTo(b, 26);
        BitConverter.GetBytes((short)24).CopyTo(b, 28);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var (r, g, bl) = pixel(x, y);
                int o = 54 + (height - 1 - y) * rowBytes + x * 3;
                b[o] = bl; b[o + 1] = g; b[o + 2] = r;
            }
        return b;
    }

    /// <summary>A synthetic dataset of the Kaggle layout.</summary>
    public static string Dataset(TempDir dir, int defective, int good, int size = 64, int seed = 1)
    {
        string root = dir.Combine("data");
        SyntheticCastingGenerator.Generate(root, new SyntheticCastingOptions { DefectiveCount = defective, GoodCount = good, ImageSize = size, Seed = seed });
        return root;
    }
}
