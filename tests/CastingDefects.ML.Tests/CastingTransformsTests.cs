using CastingDefects.ML.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using SkiaSharp;

namespace CastingDefects.ML.Tests;

public class CastingTransformsTests
{
    [Fact]
    public void Grayscale_gives_one_plane_scaled_to_unit_range()
    {
        using var dir = new TempDir();
        string path = dir.Combine("g.png");
        File.WriteAllBytes(path, TestImages.Png(20, 20, new SKColor(51, 51, 51)));
        var ml = new MLContext(0);
        var view = ml.Data.LoadFromEnumerable(new[] { new ImageFolderRow { ImagePath = path, Label = true } });
        var features = ml.Transforms.LoadCastingImages(imageSize: 10, grayscale: true).Fit(view).Transform(view).GetColumn<float[]>("Features").Single();
        Assert.Equal(100, features.Length);
        Assert.All(features, v => Assert.Equal(0.2f, v, 0.01f));
    }

    [Fact]
    public void Rgb_gives_three_planes_in_rgb_order()
    {
        using var dir = new TempDir();
        string path = dir.Combine("c.png");
        File.WriteAllBytes(path, TestImages.Png(8, 8, new SKColor(255, 0, 102)));
        var ml = new MLContext(0);
        var view = ml.Data.LoadFromEnumerable(new[] { new ImageFolderRow { ImagePath = path } });
        var f = ml.Transforms.LoadCastingImages(new CastingImageOptions { Width = 8, Height = 8, Grayscale = false })
            .Fit(view).Transform(view).GetColumn<float[]>("Features").Single();
        Assert.Equal(3 * 8 * 8, f.Length);
        Assert.All(f[..64], v => Assert.Equal(1f, v, 0.01f));       // R plane
        Assert.All(f[64..128], v => Assert.Equal(0f, v, 0.01f));     // G plane
        Assert.All(f[128..], v => Assert.Equal(0.4f, v, 0.01f));     // B plane
    }

    [Fact]
    public void Non_square_images_keep_their_aspect_ratio_and_are_padded()
    {
        using var dir = new TempDir();
        string path = dir.Combine("wide.png");
        File.WriteAllBytes(path, TestImages.Png(20, 10, new SKColor(255, 255, 255)));
        var ml = new MLContext(0);
        var view = ml.Data.LoadFromEnumerable(new[] { new ImageFolderRow { ImagePath = path } });
        var f = ml.Transforms.LoadCastingImages(imageSize: 10).Fit(view).Transform(view).GetColumn<float[]>("Features").Single();
        // 20x10 into 10x10: scaled to 10x5, centred vertically; rows 0-1 and 7-9 are padding.
        for (int y = 0; y < 10; y++)
            Assert.All(f.AsSpan(y * 10, 10).ToArray(), v => Assert.Equal(y is >= 2 and <= 6 ? 1f : 0f, v, 0.01f));
    }

    [Fact]
    public void Bmp_files_load_like_other_formats()
    {
        using var dir = new TempDir();
        string path = dir.Combine("stripes.bmp");
        File.WriteAllBytes(path, TestImages.Bmp24(16, 16, (x, _) => x < 8 ? ((byte)0, (byte)0, (byte)0) : ((byte)255, (byte)255, (byte)255)));
        var probe = Data.ImageProbe.Probe(path);
        Assert.True(probe.IsReadable, probe.Error);
        Assert.Equal("Bmp", probe.Format);
        var ml = new MLContext(0);
        var view = ml.Data.LoadFromEnumerable(new[] { new ImageFolderRow { ImagePath = path } });
        var f = ml.Transforms.LoadCastingImages(imageSize: 16).Fit(view).Transform(view).GetColumn<float[]>("Features").Single();
        Assert.Equal(0f, f[0], 0.01f);   // left half black
        Assert.Equal(1f, f[15], 0.01f);  // right half white
        Assert.Equal(f, CastingImagePreprocessor.Load(path, CastingImageOptions.Square(16)));
    }

    [Fact]
    public void Bad_image_size_names_the_option()
    {
        var ml = new MLContext(0);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.LoadCastingImages(imageSize: 2));
        Assert.Equal("Width", e.ParamName);
    }
}
