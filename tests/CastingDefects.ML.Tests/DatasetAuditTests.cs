using CastingDefects.ML.Data;

namespace CastingDefects.ML.Tests;

public class DatasetAuditTests
{
    [Fact]
    public void Audit_counts_classes_finds_unreadable_files_and_duplicates_within_and_across_folders()
    {
        using var train = new TempDir();
        using var test = new TempDir();
        string a = TestImages.Dataset(train, defective: 4, good: 3, size: 40, seed: 1);
        string b = TestImages.Dataset(test, defective: 2, good: 2, size: 40, seed: 2);
        // A duplicate inside train, one train image leaked into test, and a corrupt file.
        File.Copy(Path.Combine(a, "def_front", "cast_def_0_0.jpeg"), Path.Combine(a, "def_front", "copy.jpeg"));
        File.Copy(Path.Combine(a, "ok_front", "cast_ok_0_1.jpeg"), Path.Combine(b, "ok_front", "leaked.jpeg"));
        File.WriteAllBytes(Path.Combine(a, "ok_front", "bad.jpg"), [0xFF, 0xD8, 0xFF]);
        // A re-encoded copy (PNG of a JPEG): not byte-identical, but a near-duplicate.
        using (var bitmap = SkiaSharp.SKBitmap.Decode(Path.Combine(a, "ok_front", "cast_ok_0_2.jpeg")))
        using (var png = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100))
            File.WriteAllBytes(Path.Combine(a, "ok_front", "reencoded.png"), png.ToArray());

        var report = DatasetAudit.Run(a, b);
        Assert.Equal(5, report.Classes["def_front"]);
        Assert.Equal(4, report.Classes["ok_front"]);
        Assert.Single(report.Unreadable);
        Assert.EndsWith("bad.jpg", report.Unreadable[0].Path);
        Assert.Equal(9, report.Sizes["40x40"]);
        var near = Assert.Single(report.NearDuplicates, n => n.Path.EndsWith("cast_ok_0_2.jpeg") || n.Other.EndsWith("cast_ok_0_2.jpeg"));
        Assert.Contains("reencoded.png", near.Path + near.Other);
        Assert.DoesNotContain(report.NearDuplicates, n => n.Path.EndsWith("copy.jpeg") || n.Other.EndsWith("copy.jpeg")); // exact, reported above
        var group = Assert.Single(report.DuplicatesWithin);
        Assert.Equal(2, group.Count);
        var pair = Assert.Single(report.CrossDuplicates);
        Assert.EndsWith("cast_ok_0_1.jpeg", pair.Path);
        Assert.EndsWith("leaked.jpeg", pair.Other);
        Assert.Contains("duplicates shared with the other folder: 1", report.ToText());
    }
}
