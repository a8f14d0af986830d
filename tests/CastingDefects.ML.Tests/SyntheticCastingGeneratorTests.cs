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

    private static string[] Hashes(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => Path.GetRelativePath(root, f) + ":" + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))).ToArray();
}
