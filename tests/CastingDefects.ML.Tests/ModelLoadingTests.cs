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
