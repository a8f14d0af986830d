using SkiaSharp;

namespace CastingDefects.ML.Training.Tests;

/// <summary>
/// Decompression bombs given to the CLI as a user would: the child process refuses each, names it, goes on with the
/// other images and stays small. Without the header guard, decoding the JPEG alone allocates 14 GB.
/// </summary>
public class BombMemoryTests
{
    private static readonly string Model = Path.Combine(AppContext.BaseDirectory, "assets", "paper-gray-64.zip");

    [Fact]
    public void Predict_and_evaluate_refuse_bombs_in_a_child_process_whose_peak_memory_stays_bounded()
    {
        if (!File.Exists("/proc/self/status")) return; // the measurement reads Linux's /proc
        using var dir = new TempDir();
        string data = EasyImages.Write(dir.Combine("data"), perClass: 6, seed: 4);
        string jpegBomb = Path.Combine(data, "def_front", "bomb.jpg"), pngBomb = Path.Combine(data, "ok_front", "bomb.png");
        File.WriteAllBytes(jpegBomb, JpegClaiming(60000));
        File.WriteAllBytes(pngBomb, PngClaiming(100000));

        var (code, _, err, peak) = CliProcess.RunMeasured("predict", "--model", Model, "--input", data, "--out", dir.Combine("out.csv"));
        Assert.True(code == 0, err);
        Assert.Contains(jpegBomb, err);
        Assert.Contains(pngBomb, err);
        var rows = File.ReadAllLines(dir.Combine("out.csv")).Skip(1).ToList();
        Assert.Equal(14, rows.Count);
        Assert.Equal(2, rows.Count(r => r.Contains(",ERROR,", StringComparison.Ordinal)));
        Assert.True(peak < 1024L * 1024 * 1024, $"predict peaked at {peak / 1048576} MB");

        (code, _, err, peak) = CliProcess.RunMeasured("evaluate", "--model", Model, "--data", data, "--json");
        Assert.True(code == 0, err);
        Assert.Contains(jpegBomb, err); // skipped with a warning naming it
        Assert.True(peak < 1024L * 1024 * 1024, $"evaluate peaked at {peak / 1048576} MB");
    }

    private static byte[] JpegClaiming(int size)
    {
        using var bitmap = new SKBitmap(64, 64);
        bitmap.Erase(SKColors.Gray);
        var jpeg = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90).ToArray();
        int sof = Enumerable.Range(0, jpeg.Length - 1).First(i => jpeg[i] == 0xFF && jpeg[i + 1] is 0xC0 or 0xC2);
        jpeg[sof + 5] = (byte)(size >> 8); jpeg[sof + 6] = (byte)size;
        jpeg[sof + 7] = (byte)(size >> 8); jpeg[sof + 8] = (byte)size;
        return jpeg;
    }

    private static byte[] PngClaiming(int size)
    {
        using var bitmap = new SKBitmap(8, 8);
        bitmap.Erase(SKColors.Gray);
        var png = bitmap.Encode(SKEncodedImageFormat.Png, 100).ToArray();
        for (int k = 0; k < 2; k++)
            for (int b = 0; b < 4; b++) png[16 + 4 * k + b] = (byte)(size >> (24 - 8 * b));
        uint crc = 0xFFFFFFFF;
        foreach (byte x in png.AsSpan(12, 17))
        {
            crc ^= x;
            for (int j = 0; j < 8; j++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        crc ^= 0xFFFFFFFF;
        for (int b = 0; b < 4; b++) png[29 + b] = (byte)(crc >> (24 - 8 * b));
        return png;
    }
}
