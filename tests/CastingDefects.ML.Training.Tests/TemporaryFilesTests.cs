namespace CastingDefects.ML.Training.Tests;

/// <summary>
/// ML.NET's ONNX transformer copies the network of every model it loads from bytes into the temporary folder and deletes
/// the copy only on Dispose; commands that never disposed their models left one file per run (61 MB for a ResNet18
/// transfer model, 24 KB for the paper's CNN) until the disk filled.
/// </summary>
public class TemporaryFilesTests
{
    [Fact]
    public void Train_evaluate_and_predict_leave_nothing_in_the_temporary_folder()
    {
        using var dir = new TempDir();
        string data = EasyImages.Write(dir.Combine("data"), perClass: 20, seed: 3);
        string tmp = Directory.CreateDirectory(dir.Combine("tmp")).FullName;
        var environment = new Dictionary<string, string> { ["TMPDIR"] = tmp };
        string model = dir.Combine("out", "m.zip");

        var runs = new[]
        {
            new[] { "train", "--data", data, "--out", model, "--image-size", "64", "--epochs", "1", "--test-fraction", "0.25", "--json" },
            new[] { "evaluate", "--model", model, "--data", data, "--json" },
            new[] { "predict", "--model", model, "--input", data, "--out", dir.Combine("out", "p.csv") },
        };
        foreach (var args in runs)
        {
            var (code, _, err) = CliProcess.Run(environment, args);
            Assert.True(code == 0, $"{args[0]}: {err}");
            // Only the runtime's diagnostics endpoints (sockets, removed at exit) and ONNX Runtime's 51-byte ".ses" file
            // (one per folder, rewritten by every run) may be there; no file per run stays.
            var left = Directory.EnumerateFiles(tmp, "*", SearchOption.AllDirectories)
                .Where(f => !Path.GetFileName(f).StartsWith("dotnet-diagnostic", StringComparison.Ordinal)
                            && !Path.GetFileName(f).StartsWith("clr-debug", StringComparison.Ordinal)
                            && Path.GetFileName(f) != ".ses").ToList();
            Assert.True(left.Count == 0, $"{args[0]} left {string.Join(", ", left.Select(f => $"{Path.GetFileName(f)} ({new FileInfo(f).Length:N0} bytes)"))} in TMPDIR");
        }
        Assert.Equal(41, File.ReadAllLines(dir.Combine("out", "p.csv")).Length); // header + 40 images: the runs did their work
    }
}
