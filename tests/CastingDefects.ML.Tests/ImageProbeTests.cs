using CastingDefects.ML.Data;
using SkiaSharp;

namespace CastingDefects.ML.Tests;

public class ImageProbeTests
{
    [Fact]
    public void Valid_jpeg_reports_size_and_channels()
    {
        using var dir = new TempDir();
        string path = dir.Combine("a.jpg");
        File.WriteAllBytes(path, TestImages.Jpeg(1, size: 48));
        var r = ImageProbe.Probe(path);
        Assert.True(r.IsReadable, r.Error);
        Assert.Equal((48, 48), (r.Width, r.Height));
        Assert.Equal("Jpeg", r.Format);
    }

    [Fact]
    public void Zero_byte_file_is_reported()
    {
        using var dir = new TempDir();
        string path = dir.Combine("empty.jpg");
        File.WriteAllBytes(path, []);
        var r = ImageProbe.Probe(path);
        Assert.False(r.IsReadable);
        Assert.Contains("0 bytes", r.Error);
    }

    [Fact]
    public void Text_file_named_jpg_is_reported()
    {
        using var dir = new TempDir();
        string path = dir.Combine("notes.jpg");
        File.WriteAllText(path, "this is not an image\n");
        var r = ImageProbe.Probe(path);
        Assert.False(r.IsReadable);
        Assert.Contains("not a decodable image", r.Error);
    }

    [Fact]
    public void Truncated_jpeg_is_reported_as_truncated()
    {
        using var dir = new TempDir();
        var bytes = TestImages.Jpeg(2, size: 96);
        string path = dir.Combine("cut.jpg");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var r = ImageProbe.Probe(path);
        Assert.False(r.IsReadable);
        Assert.Contains("truncated", r.Error);
    }

    [Fact]
    public void Huge_header_is_refused_before_decoding()
    {
        using var dir = new TempDir();
        string path = dir.Combine("huge.png");
        File.WriteAllBytes(path, TestImages.PngHeaderClaiming(20000, 20000));
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var r = ImageProbe.Probe(path);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.False(r.IsReadable);
        Assert.Equal((20000, 20000), (r.Width, r.Height));
        Assert.Contains("refused before decoding", r.Error);
        Assert.True(allocated < 1_000_000, $"allocated {allocated} bytes for a refused header");
    }

    [Fact]
    public void Png_with_alpha_reports_four_channels_and_gray_png_one()
    {
        using var dir = new TempDir();
        string rgba = dir.Combine("rgba.png");
        File.WriteAllBytes(rgba, TestImages.Png(10, 12, new SKColor(10, 20, 30, 128)));
        var r = ImageProbe.Probe(rgba);
        Assert.True(r.IsReadable, r.Error);
        Assert.Equal(4, r.Channels);
        Assert.Equal((10, 12), (r.Width, r.Height));

        string gray = dir.Combine("gray.png");
        using (var bitmap = new SKBitmap(new SKImageInfo(9, 9, SKColorType.Gray8, SKAlphaType.Opaque)))
        {
            bitmap.Erase(SKColors.Gray);
            using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(gray, data.ToArray());
        }
        Assert.Equal(1, ImageProbe.Probe(gray).Channels);
    }
}
