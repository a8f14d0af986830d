using CastingDefects.ML.Inference;
using Microsoft.ML;

namespace CastingDefects.ML.Tests;

public class ModelLoadingTests
{
    [Fact]
    public void Missing_truncated_and_foreign_model_files_fail_naming_the_file()
    {
        using var dir = new TempDir();
        var ml = new MLContext(0);
        string missing = dir.Combine("missing.zip");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => ml.Model.LoadCastingModel(missing)).Message);

        string foreign = dir.Combine("foreign.zip");
        File.WriteAllText(foreign, "definitely not a zip archive");
        var e1 = Assert.Throws<InvalidDataException>(() => ml.Model.LoadCastingModel(foreign));
        Assert.Contains(foreign, e1.Message);

        string otherZip = dir.Combine("other.zip");
        using (var zip = System.IO.Compression.ZipFile.Open(otherZip, System.IO.Compression.ZipArchiveMode.Create))
            using (var w = new StreamWriter(zip.CreateEntry("hello.txt").Open())) w.Write("hi");
        var e2 = Assert.Throws<InvalidDataException>(() => ml.Model.LoadCastingModel(otherZip));
        Assert.Contains(otherZip, e2.Message);
    }
}

public class BadOnnxInsideModelTests
{
    [Theory]
    [InlineData("empty", "is empty")]
    [InlineData("garbage", "is not a valid ONNX model")]
    public void A_bad_network_inside_a_model_zip_is_named_with_what_is_wrong(string kind, string expected)
    {
        using var dir = new TempDir();
        string path = dir.Combine($"{kind}.zip");
        byte[] payload = kind == "empty" ? [] : "hello, not an ONNX network"u8.ToArray();
        using (var source = System.IO.Compression.ZipFile.OpenRead(Path.Combine(AppContext.BaseDirectory, "assets", "paper-gray-64.zip")))
        using (var target = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create))
            foreach (var entry in source.Entries)
            {
                using var input = entry.Open();
                using var output = target.CreateEntry(entry.FullName).Open();
                if (entry.FullName.EndsWith("/OnnxModel", StringComparison.Ordinal))
                {
                    output.Write(BitConverter.GetBytes(payload.Length));
                    output.Write(payload);
                }
                else input.CopyTo(output);
            }
        var e = Assert.Throws<InvalidDataException>(() => new Microsoft.ML.MLContext(0).Model.LoadCastingModel(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain("class instantiation", e.Message);
    }
}
