using CastingDefects.ML.Augmentation;
using CastingDefects.ML.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using SkiaSharp;

namespace CastingDefects.ML.Tests;

public class AugmentationTests
{
    private static SKBitmap Gradient(int w, int h)
    {
        var b = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) b.SetPixel(x, y, new SKColor((byte)(x * 255 / (w - 1)), (byte)(y * 255 / (h - 1)), 77));
        return b;
    }

    [Fact]
    public void Identity_keeps_pixels_and_a_flip_mirrors_them()
    {
        using var source = Gradient(16, 12);
        using var same = ImageAugmenter.Apply(source, new AffineSample(1, 0, 0, 1));
        using var flipped = ImageAugmenter.Apply(source, new AffineSample(-1, 0, 0, 1));
        using var vflipped = ImageAugmenter.Apply(source, new AffineSample(1, 0, 0, -1));
        for (int y = 0; y < 12; y++)
            for (int x = 0; x < 16; x++)
            {
                Assert.Equal(source.GetPixel(x, y), same.GetPixel(x, y));
                Assert.Equal(source.GetPixel(15 - x, y), flipped.GetPixel(x, y));
                Assert.Equal(source.GetPixel(x, 11 - y), vflipped.GetPixel(x, y));
            }
    }

    [Fact]
    public void Zooming_out_fills_with_the_nearest_edge_pixel()
    {
        using var source = Gradient(20, 20);
        using var zoomed = ImageAugmenter.Apply(source, new AffineSample(2, 0, 0, 2)); // output samples twice the input extent
        // Corners fall outside the input and take the corner pixels' values (nearest fill), not black.
        // (Downscaling filters over neighbouring pixels, so allow one gradient step of 255/19.)
        Assert.InRange(zoomed.GetPixel(0, 0).Red, 0, 14);
        Assert.InRange(zoomed.GetPixel(19, 19).Red, 241, 255);
        Assert.InRange(zoomed.GetPixel(0, 19).Green, 241, 255);
        Assert.Equal(77, zoomed.GetPixel(0, 19).Blue);
    }

    [Fact]
    public void Draws_follow_the_configured_ranges()
    {
        var options = new ImageAugmentation { RotationDegrees = 4, Zoom = 0.2f, HorizontalFlip = true };
        var random = new Random(3);
        int flips = 0;
        for (int i = 0; i < 400; i++)
        {
            var m = AffineSample.Draw(options, random);
            double zx = Math.Sqrt(m.M00 * m.M00 + m.M10 * m.M10);
            Assert.InRange(zx, 0.8 - 1e-9, 1.2 + 1e-9);
            double angle = Math.Atan2(m.M10, Math.Abs(m.M00)) * 180 / Math.PI;
            Assert.InRange(Math.Abs(angle), 0, 4 + 1e-6);
            if (m.M00 < 0) flips++;
        }
        Assert.InRange(flips, 150, 250); // p = 0.5
        Assert.True(ImageAugmentation.Paper.VerticalFlip && ImageAugmentation.Paper.HorizontalFlip);
        Assert.True(new ImageAugmentation().IsIdentity);
    }

    [Fact]
    public void AugmentImages_transform_builds_a_fixed_augmented_test_set()
    {
        using var dir = new TempDir();
        var ds = ImageFolderDataset.Scan(TestImages.Dataset(dir, defective: 3, good: 3, size: 48), new ImageFolderOptions { Warning = null });
        var ml = new MLContext(0);
        var view = ds.ToDataView(ml);
        string[] Paths(int seed, string cache) => ml.Transforms.AugmentImages(ImageAugmentation.Paper, cache, seed)
            .Fit(view).Transform(view).GetColumn<string>("ImagePath").ToArray();
        var first = Paths(1, dir.Combine("aug1"));
        var again = Paths(1, dir.Combine("aug1b"));
        var other = Paths(2, dir.Combine("aug2"));
        Assert.Equal(6, first.Length);
        Assert.All(first, p => Assert.StartsWith(dir.Combine("aug1"), p));
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(File.ReadAllBytes(first[i]), File.ReadAllBytes(again[i]));
            Assert.Equal(Path.GetFileName(first[i])[..^13], Path.GetFileName(other[i])[..^13]);
        }
        Assert.Contains(Enumerable.Range(0, 6), i => !File.ReadAllBytes(first[i]).SequenceEqual(File.ReadAllBytes(other[i])));
        // The augmented set feeds the usual pipeline.
        var pixels = ml.Transforms.AugmentImages(ImageAugmentation.Paper, dir.Combine("aug1"), 1)
            .Append(ml.Transforms.LoadCastingImages(imageSize: 32)).Fit(view).Transform(view).GetColumn<float[]>("Features").ToArray();
        Assert.All(pixels, p => Assert.Equal(1024, p.Length));

        var copy = ds.WriteAugmentedCopy(dir.Combine("copy"), ImageAugmentation.Paper, seed: 1);
        Assert.Equal(ds.Images.Select(i => i.IsDefect), copy.Images.Select(i => i.IsDefect));
        Assert.All(copy.Images, i => Assert.True(File.Exists(i.Path)));
    }
}
