using System.Diagnostics;

namespace CastingDefects.ML.Training.Tests;

/// <summary>Outputs never clobber inputs, bad options and odd model files fail at start with a message naming them.</summary>
public class CliOutputSafetyTests
{
    private static readonly string Model = Path.Combine(AppContext.BaseDirectory, "assets", "paper-gray-64.zip");

    private static string Data(TempDir dir) => EasyImages.Write(dir.Combine("data"), perClass: 4, seed: 1);

    [Fact]
    public void Predict_refuses_to_write_over_the_model_or_an_input_image_and_leaves_them_intact()
    {
        using var dir = new TempDir();
        string data = Data(dir);
        string model = dir.Combine("m.zip");
        File.Copy(Model, model);
        byte[] before = File.ReadAllBytes(model);
        var (code, _, err) = CliProcess.Run("predict", "--model", model, "--input", data, "--out", model);
        Assert.Equal(1, code);
        Assert.Contains("--out", err);
        Assert.Contains("input", err);
        Assert.Equal(before, File.ReadAllBytes(model));

        string image = Directory.GetFiles(Path.Combine(data, "ok_front"))[0];
        byte[] imageBefore = File.ReadAllBytes(image);
        (code, _, err) = CliProcess.Run("predict", "--model", model, "--input", data, "--out", image);
        Assert.Equal(1, code);
        Assert.Equal(imageBefore, File.ReadAllBytes(image));
    }

    [Fact]
    public void Train_and_evaluate_refuse_outputs_inside_the_data_folder_before_any_work()
    {
        using var dir = new TempDir();
        string data = Data(dir);
        var files = Directory.GetFiles(data, "*", SearchOption.AllDirectories).Order().ToArray();
        var clock = Stopwatch.StartNew();
        var (code, _, err) = CliProcess.Run("train", "--data", data, "--out", Path.Combine(data, "ok_front", "m.zip"), "--image-size", "64", "--epochs", "1");
        Assert.Equal(1, code);
        Assert.Contains("inside the data folder", err);
        (code, _, err) = CliProcess.Run("train", "--data", data, "--out", dir.Combine("m.zip"), "--report", Path.Combine(data, "report"), "--image-size", "64", "--epochs", "1");
        Assert.Equal(1, code);
        Assert.Contains("--report", err);
        (code, _, err) = CliProcess.Run("evaluate", "--model", Model, "--data", data, "--report", Path.Combine(data, "def_front"));
        Assert.Equal(1, code);
        Assert.Contains("--report", err);
        (code, _, err) = CliProcess.Run("evaluate", "--model", Model, "--data", data, "--save-model", Path.Combine(data, "def_front", "def_front_000.png"));
        Assert.Equal(1, code);
        Assert.Contains("--save-model", err);
        Assert.Equal(files, Directory.GetFiles(data, "*", SearchOption.AllDirectories).Order().ToArray()); // nothing added, nothing replaced
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("-1")]
    [InlineData("NaN")]
    public void Evaluate_refuses_a_threshold_that_is_not_a_probability(string threshold)
    {
        using var dir = new TempDir();
        var (code, _, err) = CliProcess.Run("evaluate", "--model", Model, "--data", Data(dir), "--threshold", threshold);
        Assert.Equal(1, code);
        Assert.Contains("--threshold", err);
    }

    [Fact]
    public void A_fifo_or_an_empty_file_as_model_fails_at_once_naming_it()
    {
        using var dir = new TempDir();
        string fifo = dir.Combine("model.zip");
        using (var mkfifo = Process.Start("mkfifo", [fifo])) mkfifo.WaitForExit();
        var (code, _, err) = CliProcess.Run("evaluate", "--model", fifo, "--data", Data(dir));
        Assert.Equal(1, code);
        Assert.Contains(fifo, err);
        Assert.Contains("not a regular file", err);
    }

    [Fact]
    public void Predict_writes_rfc_4180_csv()
    {
        using var dir = new TempDir();
        string data = EasyImages.Write(dir.Combine("data"), perClass: 1, seed: 2);
        string odd = Path.Combine(data, "ok_front", "a,\"b\"\nc.png");
        File.Move(Directory.GetFiles(Path.Combine(data, "ok_front"))[0], odd);
        string csv = dir.Combine("out.csv");
        var (code, _, err) = CliProcess.Run("predict", "--model", Model, "--input", odd, "--out", csv);
        Assert.True(code == 0, err);
        string text = File.ReadAllText(csv);
        Assert.StartsWith("path,label,probability\r\n\"", text); // RFC 4180 (CsvHelper): records end in CRLF
        Assert.Contains("a,\"\"b\"\"\nc.png\",", text);              // the line feed inside the quoted name stays as it is
        Assert.EndsWith("\r\n", text);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void Unwritable_outputs_fail_at_start_naming_the_option()
    {
        using var dir = new TempDir();
        string data = Data(dir);
        string file = dir.Combine("a-file");
        File.WriteAllText(file, "x"); // a folder cannot be made below a file, even by root
        foreach (var (option, value) in new[] { ("--out", Path.Combine(file, "m.zip")), ("--checkpoint-dir", Path.Combine(file, "ckpt")), ("--report", Path.Combine(file, "report")) })
        {
            string[] args = option == "--out" ? ["train", "--data", data, option, value, "--image-size", "64", "--epochs", "1"]
                : ["train", "--data", data, "--out", dir.Combine("m.zip"), option, value, "--image-size", "64", "--epochs", "1"];
            var (code, stdout, err) = CliProcess.Run(args);
            Assert.Equal(1, code);
            Assert.Contains(option, err);
            Assert.DoesNotContain("epoch", stdout); // refused before training
        }
    }

    [Fact]
    public void Options_a_user_can_get_wrong_are_explained()
    {
        using var dir = new TempDir();
        string data = Data(dir);
        var (code, _, err) = CliProcess.Run("train", "--data", data, "--epochs", "abc");
        Assert.Equal(1, code);
        Assert.Contains("--epochs: 'abc' is not a whole number", err);
        Assert.DoesNotContain("System.", err);

        (code, _, err) = CliProcess.Run("train", "--data", data, "--out", dir.Combine("m.zip"), "--image-size", "32");
        Assert.Equal(1, code);
        Assert.Contains("--image-size", err);
        Assert.Contains("at least 54x54", err);

        // 8 images, 1 % for validation: none of either class would be left to pick the best epoch on.
        (code, _, err) = CliProcess.Run("train", "--data", data, "--out", dir.Combine("m.zip"), "--image-size", "64", "--validation-fraction", "0.01");
        Assert.Equal(1, code);
        Assert.Contains("--validation-fraction", err);
        Assert.False(File.Exists(dir.Combine("m.zip")));
    }
}
