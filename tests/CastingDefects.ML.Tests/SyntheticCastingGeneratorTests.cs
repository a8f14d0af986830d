using CastingDefects.ML.Synthetic;
using System.Security.Cryptography;

namespace CastingDefects.ML.Tests;

public class SyntheticCastingGeneratorTests
{
    [Fact]
    public void Same_seed_writes_the_same_bytes_and_other_seeds_differ()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        using var c = new TempDir();
        var options = new SyntheticCastingOptions { DefectiveCount = 6, GoodCount = 4, ImageSize = 48, Seed = 9 };
        Assert.Equal(10, SyntheticCastingGenerator.Generate(a.Path, options));
        SyntheticCastingGenerator.Generate(b.Path, options);
        SyntheticCastingGenerator.Generate(c.Path, new SyntheticCastingOptions { DefectiveCount = 6, GoodCount = 4, ImageSize = 48, Seed = 10 });
        Assert.Equal(Hashes(a.Path), Hashes(b.Path));
        Assert.NotEqual(Hashes(a.Path), Hashes(c.Path));
        Assert.Equal(6, Directory.GetFiles(Path.Combine(a.Path, "def_front")).Length);
        Assert.Equal(4, Directory.GetFiles(Path.Combine(a.Path, "ok_front")).Length);
    }

    [Fact]
    public void Defective_images_carry_defects_and_good_ones_none()
    {
        var kinds = DefectKind.None;
        for (int i = 0; i < 40; i++)
        {
            using var d = SyntheticCastingGenerator.Render(1, i, defective: true, 64, 1f, out var k);
            Assert.NotEqual(DefectKind.None, k);
            kinds |= k;
            using var g = SyntheticCastingGenerator.Render(1, i, defective: false, 64, 1f, out var none);
            Assert.Equal(DefectKind.None, none);
        }
        Assert.Equal(DefectKind.BlowHole | DefectKind.Pinholes | DefectKind.Crack | DefectKind.Burr | DefectKind.MissingMaterial, kinds);
    }

    [Fact]
    public void Defect_regions_mark_where_the_defects_are_drawn()
    {
        int darkInside = 0, defective = 0;
        for (int i = 0; i < 30; i++)
        {
            using var good = SyntheticCastingGenerator.RenderCasting(3, i, defective: false, 300);
            Assert.Empty(good.DefectRegions);
            using var bad = SyntheticCastingGenerator.RenderCasting(3, i, defective: true, 300);
            int kinds = System.Numerics.BitOperations.PopCount((uint)bad.Defects);
            Assert.InRange(bad.DefectRegions.Count, Math.Max(1, kinds), 3); // one box per drawn defect (a kind may repeat)
            foreach (var r in bad.DefectRegions)
            {
                Assert.True(r.Left >= 0 && r.Top >= 0 && r.Right <= 1 && r.Bottom <= 1 && r.Width > 0 && r.Height > 0, $"region {r}");
                Assert.True(r.Width * r.Height < 0.3, $"region {r} covers most of the part"); // a wide flash spans up to 140° of the rim
            }
            // Every defect is drawn dark (pits, pinholes, cracks, flash, fracture edges, all below 90), darker than the table
            // and the flange around it: a box misplaced onto them would hold no such pixel.
            defective++;
            if (bad.DefectRegions.Any(r => MinimumIn(bad, r) < 90)) darkInside++;
        }
        Assert.Equal(defective, darkInside);

        // The boxes scale with the image: the same casting at 150 px has the same fractional regions.
        using var big = SyntheticCastingGenerator.RenderCasting(3, 1, defective: true, 300);
        using var small = SyntheticCastingGenerator.RenderCasting(3, 1, defective: true, 150);
        Assert.Equal(big.DefectRegions.Count, small.DefectRegions.Count);
        for (int k = 0; k < big.DefectRegions.Count; k++)
            Assert.Equal(big.DefectRegions[k].MidX, small.DefectRegions[k].MidX, 0.02);
    }

    private static int MinimumIn(SyntheticCasting casting, SkiaSharp.SKRect region)
    {
        int size = casting.Bitmap.Width, min = 255;
        for (int y = (int)(region.Top * size); y < (int)Math.Ceiling(region.Bottom * size); y++)
            for (int x = (int)(region.Left * size); x < (int)Math.Ceiling(region.Right * size); x++)
                min = Math.Min(min, casting.Bitmap.GetPixel(x, y).Red);
        return min;
    }

    [Fact]
    public void By_kind_writes_six_classes_each_file_carrying_only_its_folders_defect()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        var options = new SyntheticCastingOptions { ImageSize = 40, Seed = 3 };
        Assert.Equal(30, SyntheticCastingGenerator.GenerateByKind(a.Path, 5, options));
        SyntheticCastingGenerator.GenerateByKind(b.Path, 5, options);
        Assert.Equal(Hashes(a.Path), Hashes(b.Path));
        Assert.Equal(new[] { "blow_hole", "burr", "crack", "missing_material", "ok", "pinholes" },
            Directory.GetDirectories(a.Path).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToArray());
        foreach (var (folder, kind) in SyntheticCastingGenerator.KindFolders)
        {
            var files = Directory.GetFiles(Path.Combine(a.Path, folder));
            Assert.Equal(5, files.Length);
            foreach (var file in files)
            {
                // The file name holds the render index: rendering it again gives exactly this folder's kind.
                int index = int.Parse(Path.GetFileNameWithoutExtension(file).Split('_').Last(), System.Globalization.CultureInfo.InvariantCulture);
                using var _ = SyntheticCastingGenerator.Render(3, index, kind != DefectKind.None, 40, 1f, out var drawn);
                Assert.Equal(kind, drawn);
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticCastingGenerator.GenerateByKind(a.Path, 0, options));
    }

    private static string[] Hashes(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => Path.GetRelativePath(root, f) + ":" + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))).ToArray();
}
