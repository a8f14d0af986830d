using CastingDefects.ML.Data;
using CastingDefects.ML.IO;

namespace CastingDefects.ML.Tests;

public class LinksAndTemporariesTests
{
    [Fact]
    public void Folder_links_inside_class_folders_are_not_followed_and_each_real_file_counts_once()
    {
        using var dir = new TempDir();
        string data = TestImages.Dataset(dir, defective: 5, good: 5, size: 64, seed: 2);
        string def = Path.Combine(data, "def_front"), ok = Path.Combine(data, "ok_front");
        Directory.CreateSymbolicLink(Path.Combine(def, "up"), data);          // a loop through the parent
        Directory.CreateSymbolicLink(Path.Combine(def, "sibling"), ok);       // the other class
        string goodFile = Directory.GetFiles(ok)[0];
        File.CreateSymbolicLink(Path.Combine(def, "linked.jpeg"), goodFile);  // a good image linked into the defect class
        var dataset = ImageFolderDataset.Scan(data, new ImageFolderOptions { Warning = null });
        Assert.Equal(10, dataset.Images.Count);
        Assert.Equal(new Dictionary<string, int> { ["def_front"] = 5, ["ok_front"] = 5 }, dataset.CountByClass());
        Assert.Contains(dataset.Skipped, s => s.Path.EndsWith("up", StringComparison.Ordinal) && s.Reason.Contains("not followed"));
        Assert.Contains(dataset.Skipped, s => s.Path.EndsWith("linked.jpeg", StringComparison.Ordinal) && s.Reason.Contains("counts once"));
        Assert.All(dataset.Images.Where(i => i.ClassName == "def_front"), i => Assert.StartsWith(def, i.Path));
    }

    [Fact]
    public void Atomic_writes_remove_temporaries_left_by_killed_writers_and_keep_live_ones()
    {
        using var dir = new TempDir();
        string target = dir.Combine("results.csv");
        string dead = target + ".999999999.tmp"; // no such process
        File.WriteAllBytes(dead, []);
        AtomicFile.Write(target, s => s.WriteByte(42));
        Assert.False(File.Exists(dead));
        Assert.Equal([42], File.ReadAllBytes(target));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }
}
