
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
        File.WriteAllBytes(jpegBomb, BombImages.JpegClaiming(60000));
        File.WriteAllBytes(pngBomb, BombImages.PngClaiming(100000, 100000));

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
}
