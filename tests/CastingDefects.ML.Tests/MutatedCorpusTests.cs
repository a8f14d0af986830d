using CastingDefects.ML.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.ML.Tests;

public class MutatedCorpusTests
{
    /// <summary>
    /// 1,000+ mutated files (truncations, bit flips, edited headers and dimensions, wrong extensions): the scan never
    /// throws or hangs, every file is either used or reported by name, and every file it accepts really goes through
    /// the ML.NET image pipeline.
    /// </summary>
    [Fact]
    public async Task Thousand_mutated_images_load_with_zero_crashes_and_every_file_accounted_for()
    {
        using var dir = new TempDir();
        var random = new Random(123);
        var originals = Enumerable.Range(0, 8).Select(i => TestImages.Jpeg(i, defective: i % 2 == 0, size: 40)).ToArray();
        var png = TestImages.Png(30, 20, SkiaSharp.SKColors.DarkGray);
        int files = 0;
        foreach (var cls in new[] { "def_front", "ok_front" })
        {
            Directory.CreateDirectory(dir.Combine("data", cls));
            for (int i = 0; i < 520; i++)
            {
                var source = i % 10 == 9 ? png : originals[random.Next(originals.Length)];
                var bytes = (byte[])source.Clone();
                string ext = ".jpg";
                switch (i % 6)
                {
                    case 0: bytes = bytes[..random.Next(0, bytes.Length)]; break;                  // truncation
                    case 1: for (int k = 0; k < 1 + random.Next(20); k++) bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8)); break; // bit flips
                    case 2: bytes[random.Next(2, Math.Min(bytes.Length, 200))] = (byte)random.Next(256); break; // header byte
                    case 3: // dimensions in the JPEG SOF0 marker or PNG IHDR
                        int at = IndexOfSof(bytes);
                        if (at > 0) { bytes[at + 5] = (byte)random.Next(256); bytes[at + 7] = (byte)random.Next(256); }
                        else { bytes[16] = (byte)random.Next(256); }
                        break;
                    case 4: ext = random.Next(2) == 0 ? ".png" : ".bmp"; break;                  // wrong extension
                    default: break;                                                            // intact
                }
                File.WriteAllBytes(dir.Combine("data", cls, $"m{i:D4}{ext}"), bytes);
                files++;
            }
        }
        Assert.True(files >= 1000);

        var warnings = new List<string>();
        var scan = Task.Run(() => ImageFolderDataset.Scan(dir.Combine("data"), new ImageFolderOptions { Warning = warnings.Add }));
        var ds = await scan.WaitAsync(TimeSpan.FromMinutes(2)); // a hang fails with TimeoutException
        Assert.Equal(files, ds.Images.Count + ds.Skipped.Count);
        Assert.Equal(ds.Skipped.Count, warnings.Count);
        Assert.All(ds.Skipped, s => Assert.False(string.IsNullOrWhiteSpace(s.Reason)));
        Assert.True(ds.Skipped.Count > 100, $"only {ds.Skipped.Count} files rejected");
        Assert.True(ds.Images.Count > 300, $"only {ds.Images.Count} files accepted");

        // Everything accepted decodes through the same ML.NET transforms training and prediction use.
        var ml = new MLContext(0);
        var view = ds.ToDataView(ml);
        var pixels = ml.Transforms.LoadCastingImages(imageSize: 16).Fit(view).Transform(view).GetColumn<float[]>("Features").ToArray();
        Assert.Equal(ds.Images.Count, pixels.Length);
        Assert.All(pixels, p => Assert.Equal(256, p.Length));
    }

    private static int IndexOfSof(byte[] b)
    {
        for (int i = 2; i + 8 < b.Length; i++) if (b[i] == 0xFF && b[i + 1] == 0xC0) return i;
        return -1;
    }
}
