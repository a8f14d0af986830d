using CastingDefects.ML.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.ML.Tests;

public class ImageFolderDatasetTests
{
    [Fact]
    public void Scan_labels_by_folder_with_def_prefix_positive()
    {
        using var dir = new TempDir();
        string root = TestImages.Dataset(dir, defective: 7, good: 5, size: 32);
        var warnings = new List<string>();
        var ds = ImageFolderDataset.Scan(root, new ImageFolderOptions { Warning = warnings.Add });
        Assert.Equal(["def_front", "ok_front"], ds.Classes);
        Assert.Equal("def_front", ds.PositiveClass);
        Assert.Equal(7, ds.Images.Count(i => i.IsDefect));
        Assert.Equal(5, ds.Images.Count(i => !i.IsDefect));
        Assert.All(ds.Images, i => Assert.Equal(i.ClassName == "def_front", i.IsDefect));
        Assert.Empty(ds.Skipped);
        Assert.Empty(warnings);
    }

    [Fact]
    public void Bad_files_are_skipped_with_a_warning_naming_each()
    {
        using var dir = new TempDir();
        string root = TestImages.Dataset(dir, defective: 3, good: 3, size: 32);
        string thumbs = Path.Combine(root, "ok_front", "Thumbs.db");
        string dsStore = Path.Combine(root, "def_front", ".DS_Store");
        string empty = Path.Combine(root, "def_front", "zero.jpg");
        string text = Path.Combine(root, "ok_front", "readme.jpg");
        File.WriteAllText(thumbs, "x");
        File.WriteAllText(dsStore, "x");
        File.WriteAllBytes(empty, []);
        File.WriteAllText(text, "hello");
        var warnings = new List<string>();
        var ds = ImageFolderDataset.Scan(root, new ImageFolderOptions { Warning = warnings.Add });
        Assert.Equal(6, ds.Images.Count);
        Assert.Equal(new[] { dsStore, empty, text, thumbs }.Order(StringComparer.Ordinal), ds.Skipped.Select(s => s.Path));
        foreach (var f in new[] { thumbs, dsStore, empty, text }) Assert.Contains(warnings, w => w.Contains(f));
    }

    [Fact]
    public void Strict_mode_fails_naming_the_file()
    {
        using var dir = new TempDir();
        string root = TestImages.Dataset(dir, defective: 2, good: 2, size: 32);
        string bad = Path.Combine(root, "ok_front", "broken.jpg");
        File.WriteAllBytes(bad, TestImages.Jpeg(5)[..100]);
        var e = Assert.Throws<InvalidDataException>(() => ImageFolderDataset.Scan(root, new ImageFolderOptions { Strict = true }));
        Assert.Contains(bad, e.Message);
    }

    [Fact]
    public void Empty_class_folder_and_single_class_give_clear_errors()
    {
        using var dir = new TempDir();
        string root = TestImages.Dataset(dir, defective: 2, good: 0, size: 32);
        var warnings = new List<string>();
        var e = Assert.Throws<InvalidDataException>(() => ImageFolderDataset.Scan(root, new ImageFolderOptions { Warning = warnings.Add }));
        Assert.Contains("only one class", e.Message);
        Assert.Contains("def_front", e.Message);
        Assert.Contains(warnings, w => w.Contains("ok_front") && w.Contains("no image files"));
    }

    [Fact]
    public void Missing_folder_and_ambiguous_positive_class_are_named()
    {
        Assert.Throws<DirectoryNotFoundException>(() => ImageFolderDataset.Scan("/nonexistent/casting"));
        using var dir = new TempDir();
        string root = TestImages.Dataset(dir, defective: 2, good: 2, size: 32);
        Directory.Move(Path.Combine(root, "def_front"), Path.Combine(root, "bad"));
        var e = Assert.Throws<InvalidDataException>(() => ImageFolderDataset.Scan(root));
        Assert.Contains("defect class", e.Message);
        var ok = ImageFolderDataset.Scan(root, new ImageFolderOptions { PositiveClass = "bad" });
        Assert.Equal(2, ok.Images.Count(i => i.IsDefect));
    }

    [Fact]
    public void Stratified_split_of_the_kaggle_counts_gives_the_papers_5307_1326()
    {
        var ml = new MLContext(1);
        var rows = Enumerable.Range(0, 3758).Select(i => new ImageFolderRow { ImagePath = $"def/{i}.jpeg", Label = true, ClassName = "def_front" })
            .Concat(Enumerable.Range(0, 2875).Select(i => new ImageFolderRow { ImagePath = $"ok/{i}.jpeg", Label = false, ClassName = "ok_front" }));
        var view = ml.Data.LoadFromEnumerable(rows);
        var split = ml.Data.StratifiedSplit(view, 0.2, seed: 42);
        var train = split.TrainSet.GetColumn<bool>("Label").ToArray();
        var test = split.TestSet.GetColumn<bool>("Label").ToArray();
        Assert.Equal(5307, train.Length);
        Assert.Equal(1326, test.Length);
        Assert.Equal(751, test.Count(l => l));
        Assert.Equal(575, test.Count(l => !l));
        var again = ml.Data.StratifiedSplit(view, 0.2, seed: 42).TestSet.GetColumn<string>("ImagePath").ToArray();
        Assert.Equal(split.TestSet.GetColumn<string>("ImagePath").ToArray(), again);
        Assert.Empty(split.TrainSet.GetColumn<string>("ImagePath").Intersect(again));
    }

    [Fact]
    public void Dataset_split_is_stratified_and_disjoint()
    {
        using var dir = new TempDir();
        var ds = ImageFolderDataset.Scan(TestImages.Dataset(dir, defective: 20, good: 10, size: 32));
        var (train, val) = ds.StratifiedSplit(0.2, seed: 3);
        Assert.Equal(4, val.Images.Count(i => i.IsDefect));
        Assert.Equal(2, val.Images.Count(i => !i.IsDefect));
        Assert.Equal(24, train.Images.Count);
        Assert.Empty(train.Images.Select(i => i.Path).Intersect(val.Images.Select(i => i.Path)));
    }
}

public class StratifiedSplitTests
{
    [Fact]
    public void The_folder_split_and_the_mlnet_split_hold_out_the_same_images_per_class()
    {
        using var dir = new TempDir();
        string data = TestImages.Dataset(dir, defective: 13, good: 9, size: 32, seed: 6);
        var dataset = ImageFolderDataset.Scan(data, new ImageFolderOptions { Warning = null });
        var (_, validation) = dataset.StratifiedSplit(0.25, seed: 5);
        // floor(13 x 0.25) = 3 defects, floor(9 x 0.25) = 2 good ones
        Assert.Equal(3, validation.Images.Count(i => i.IsDefect));
        Assert.Equal(2, validation.Images.Count(i => !i.IsDefect));
        var ml = new Microsoft.ML.MLContext(0);
        var split = ml.Data.StratifiedSplit(dataset.ToDataView(ml), 0.25, seed: 5);
        Assert.Equal(validation.Images.Select(i => i.Path).Order(StringComparer.Ordinal),
            split.TestSet.GetColumn<string>("ImagePath").Order(StringComparer.Ordinal));
    }
}
