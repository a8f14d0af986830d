using System.Diagnostics;

namespace CastingDefects.ML.Training.Tests;

/// <summary>Every sample builds (with the solution) and runs on a tiny synthetic dataset.</summary>
public class SamplesTests
{
    private static string SampleDll(string name)
    {
        // The samples are built by the same solution build, in the same configuration as this test assembly.
        string configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        string dll = Path.Combine(PackagingTests.RepoRoot(), "samples", name, "bin", configuration, "net10.0", name + ".dll");
        Assert.True(File.Exists(dll), $"{dll} is not built; build the solution first");
        return dll;
    }

    private static string Run(string dll, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(2)), $"{dll} timed out");
        Assert.True(p.ExitCode == 0, $"{dll} exited {p.ExitCode}: {stdout.Result}{stderr.Result}");
        return stdout.Result;
    }

    [Theory]
    [InlineData("Quickstart")]
    [InlineData("Deployment")]
    [InlineData("AugmentationStudy")]
    public async Task A_mistyped_option_stops_a_sample_with_its_name(string sample)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(SampleDll(sample));
        info.ArgumentList.Add("--inptu");
        info.ArgumentList.Add("x");
        using var p = Process.Start(info)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await p.WaitForExitAsync(timeout.Token);
        Assert.Equal(2, p.ExitCode);
        Assert.Contains("unknown option '--inptu'", await stderr);
        Assert.DoesNotContain("Training", await stdout); // stopped before any work
    }

    [Fact]
    public void Every_sample_runs_on_tiny_synthetic_data()
    {
        using var dir = new TempDir();
        string data = dir.Combine("data");
        CastingDefects.ML.Synthetic.SyntheticCastingGenerator.Generate(data,
            new CastingDefects.ML.Synthetic.SyntheticCastingOptions { DefectiveCount = 24, GoodCount = 20, ImageSize = 96 });
        string output = dir.Combine("out");
        string quick = Run(SampleDll("Quickstart"), "--data", data, "--out", output, "--epochs", "1", "--image-size", "64");
        Assert.Contains("4. Test set: accuracy", quick);
        Assert.Matches(@"6\. .+: (OK|NG) \(p\(defect\) = [01]\.\d{4}\)", quick);
        Assert.True(File.Exists(Path.Combine(output, "casting.zip")));
        Assert.True(File.Exists(Path.Combine(output, "metrics.md")));

        string deploy = Run(SampleDll("Deployment"), "--model", Path.Combine(output, "casting.zip"), "--input", data);
        Assert.Contains("1. 44 images", deploy);
        Assert.Contains("agrees with the pool on 44/44", deploy);
        Assert.Contains("TorchSharp loaded: False", deploy);

        // The serving load test, bounded: every request answered, and the figures it reports are there.
        string load = Run(SampleDll("ServingLoadTest"), "--model", Path.Combine(output, "casting.zip"), "--input", data, "--requests", "300", "--clients", "4");
        Assert.Matches(@"3\. serve over HTTP, 4 concurrent clients: 300 requests in .+ images/s \(\d+ % of the in-process pool\); latency p50 .+ p99 .+; errors 0", load);

        string augmentation = Run(SampleDll("AugmentationStudy"), "--data", data, "--out", dir.Combine("aug"), "--epochs", "1", "--image-size", "64");
        var table6 = File.ReadAllLines(dir.Combine("aug", "table6.md"));
        Assert.Equal(6, table6.Length); // header, rule, 2 models x 2 test sets
        Assert.Contains("| Custom model - Augmented | augmented test |", augmentation);
        Assert.Equal(8, Directory.GetFiles(dir.Combine("aug", "augmented-test"), "*.png", SearchOption.AllDirectories).Length); // floor(24 x 0.2) + floor(20 x 0.2)

        Run(SampleDll("GrayscaleVsRgb"), "--data", data, "--out", dir.Combine("gvr"), "--epochs", "1", "--image-size", "64");
        var table = File.ReadAllLines(dir.Combine("gvr", "grayscale-vs-rgb.md"));
        Assert.StartsWith("| grayscale | 5,577 | 5,513 |", table[2]);
        Assert.StartsWith("| RGB | 5,865 | 5,801 |", table[3]);

        string arch = Run(SampleDll("ArchitectureComparison"), "--data", data, "--out", dir.Combine("arch"), "--epochs", "1", "--image-size", "64",
            "--scratch-epochs", "1", "--scratch-size", "32", "--transfer-size", "32", "--models", "mobilenetv2,resnet18");
        var sizes = File.ReadAllLines(dir.Combine("arch", "table1-table3.md"));
        Assert.Equal(2 + 4, sizes.Length); // custom, pretrained ResNet18, two from scratch
        Assert.StartsWith("| custom (paper-gray) | 5,577 |", sizes[2]);
        Assert.StartsWith("| mobilenetv2 | 2,260,546 | 2,226,434 | 34,112 |", sizes[4]); // the paper's Table 1
        var table2 = File.ReadAllLines(dir.Combine("arch", "table2.md"));
        Assert.Contains("| resnet18 (pretrained) | ImageNet, frozen backbone", table2[3]);
        Assert.Contains("from scratch, 1 epochs, 32px RGB", table2[4]);
        Assert.Contains("6. Table 2", arch);

        string anomaly = Run(SampleDll("AnomalyDetection"), "--data", data, "--out", dir.Combine("anomaly"), "--image-size", "64", "--dimensions", "32");
        // 20 good images: 4 held out for the test, 3 of the rest validate; the 24 defects are never fitted.
        Assert.Contains("fitting on 13 good images only", anomaly);
        Assert.Contains("8x8 Gaussians of 32 features", anomaly);
        Assert.Equal(2, File.ReadAllLines(dir.Combine("anomaly", "metrics.md")).Length - 1);
        Assert.Equal(4, Directory.GetFiles(dir.Combine("anomaly"), "*.anomaly.png").Length);

        Run(SampleDll("Pruning"), "--data", data, "--out", dir.Combine("pruning"), "--epochs", "1", "--image-size", "64", "--fine-tune-epochs", "1", "--ratios", "0.5",
            "--transfer-size", "32", "--transfer-fine-tune-epochs", "1");
        var pruning = File.ReadAllLines(dir.Combine("pruning", "pruning.md"));
        Assert.Equal(2 + 6, pruning.Length);
        Assert.StartsWith("| ResNet18 transfer (ImageNet backbone, frozen) | head trained", pruning[6]);
        Assert.Contains("| 15,909,313 |", pruning[6]);
        Assert.StartsWith("| ResNet18 transfer, pruned 50 % of channels | L1 pruning + 1 epochs fine-tuning |", pruning[7]);
        Assert.StartsWith("| paper CNN (hand-pruned by its authors) | trained | 5,577 |", pruning[2]);
        // Half the convolution channels, kept counts to multiples of 8: 16 → 8, 16 → 8, the 8-channel layers stay.
        Assert.StartsWith("| paper CNN, pruned 50 % of channels | BatchNorm-scale pruning + 1 epochs fine-tuning | 3,153 |", pruning[3]);
        Assert.StartsWith("| paper CNN x2 wide | trained | 20,241 |", pruning[4]);
        // The wide network at half its convolution channels is the paper's architecture again (16, 16, 8, 8, 8).
        Assert.StartsWith("| paper CNN x2 wide, pruned 50 % of channels | BatchNorm-scale pruning + 1 epochs fine-tuning | 5,577 |", pruning[5]);
    }
}
