using SkiaSharp;

namespace CastingDefects.ML.Testing;

/// <summary>Decompression bombs for tests: small valid files whose headers claim huge images (shared by both test projects).</summary>
public static class BombImages
{
    /// <summary>A real 64x64 JPEG whose SOF header claims <paramref name="size"/> x <paramref name="size"/> pixels.</summary>
    public static byte[] JpegClaiming(int size)
    {
        using var bitmap = new SKBitmap(64, 64);
        bitmap.Erase(SKColors.Gray);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        var jpeg = data.ToArray();
        int sof = Enumerable.Range(0, jpeg.Length - 1).First(i => jpeg[i] == 0xFF && jpeg[i + 1] is 0xC0 or 0xC2);
        jpeg[sof + 5] = (byte)(size >> 8); jpeg[sof + 6] = (byte)size;   // height
        jpeg[sof + 7] = (byte)(size >> 8); jpeg[sof + 8] = (byte)size;   // width
        return jpeg;
    }

    /// <summary>A valid PNG whose IHDR claims width x height (CRC fixed up), with 8x8 pixels of data behind it.</summary>
    public static byte[] PngClaiming(int width, int height)
    {
        using var bitmap = new SKBitmap(8, 8);
        bitmap.Erase(SKColors.Gray);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        var png = data.ToArray();
        // IHDR data starts at offset 16: width (4, big-endian), height (4); its CRC covers the type and 13 data bytes.
        WriteBigEndian(png, 16, (uint)width);
        WriteBigEndian(png, 20, (uint)height);
        WriteBigEndian(png, 29, Crc32(png.AsSpan(12, 17)));
        return png;
    }

    private static void WriteBigEndian(byte[] b, int offset, uint v)
    {
        b[offset] = (byte)(v >> 24); b[offset + 1] = (byte)(v >> 16); b[offset + 2] = (byte)(v >> 8); b[offset + 3] = (byte)v;
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }
}
