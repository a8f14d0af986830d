using System.Diagnostics;
using CastingDefects.ML.Testing;
using Xunit;

namespace CastingDefects.ML.Training.Tests;

/// <summary><c>predict --watch</c> as a process: killed hard in the middle, restarted, stopped with SIGTERM.</summary>
public sealed class WatchCliTests
{
    [Fact]
    public async Task A_watch_killed_mid_run_and_restarted_records_every_image_once_and_stops_cleanly_on_sigterm()
    {
        using var dir = new TempDir();
        string inbox = dir.Combine("inbox"), results = dir.Combine("results.csv");
        Directory.CreateDirectory(inbox);
        const int total = 120;
        var images = Enumerable.Range(0, total).Select(i => ServingHost.Casting(i, i % 2 == 0, 200)).ToArray();
        // The camera writes one image every 25 ms while the watch is killed and restarted.
        var camera = Task.Run(async () =>
        {
            for (int i = 0; i < total; i++)
            {
                await File.WriteAllBytesAsync(Path.Combine(inbox, $"f{i:D3}.png"), images[i]);
                await Task.Delay(25);
            }
        });
        string[] args = ["predict", "--model", ServingHost.Model, "--watch", inbox, "--out", results, "--move", "--settle-ms", "100"];

        using (var first = CliProcess.Start(args))
        {
            _ = first.StandardOutput.ReadToEndAsync();
            _ = first.StandardError.ReadToEndAsync();
            var clock = Stopwatch.StartNew();
            while (Rows(results) < 10 && clock.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(5);
            first.Kill(entireProcessTree: true); // SIGKILL: no chance to finish anything
            await first.WaitForExitAsync();
        }
        Assert.InRange(Rows(results), 10, total - 1);

        using var second = CliProcess.Start(args);
        await camera;
        var stdout = second.StandardOutput.ReadToEndAsync();
        var stderr = second.StandardError.ReadToEndAsync();
        var wait = Stopwatch.StartNew();
        while (Rows(results) < total && wait.Elapsed < TimeSpan.FromSeconds(90)) await Task.Delay(50);
        Process.Start("kill", ["-TERM", second.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        Assert.True(second.WaitForExit(30_000), "watch did not stop on SIGTERM");
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("stopped:", await stderr);
        _ = await stdout;

        var names = File.ReadAllLines(results).Skip(1).Select(l => Path.GetFileName(l.Split(',')[0])).ToList();
        Assert.Equal(total, names.Count);
        Assert.Equal(total, names.Distinct().Count());
        Assert.Equal(total, Directory.GetFiles(inbox, "*.png", SearchOption.AllDirectories).Length); // nothing lost in the moves
        Assert.Empty(Directory.GetFiles(inbox, "*.png"));
    }

    private static int Rows(string results)
    {
        try
        {
            using var stream = new FileStream(results, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return Math.Max(0, reader.ReadToEnd().Count(c => c == '\n') - 1);
        }
        catch (FileNotFoundException) { return 0; }
        catch (DirectoryNotFoundException) { return 0; }
    }
}
