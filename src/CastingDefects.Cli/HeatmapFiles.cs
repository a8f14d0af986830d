using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using CastingDefects.ML.IO;

namespace CastingDefects.Cli;

/// <summary>Writes one heatmap overlay per image (<c>explain</c>, <c>predict --heatmaps</c>): NAME.heatmap.png, in the input's subfolders.</summary>
internal static class HeatmapFiles
{
    /// <summary>What was written for one image (<paramref name="Name"/>: its path relative to the input); the peak is in the image's own pixels.</summary>
    public sealed record Written(string Path, string Name, string Verdict, float Probability, string Heatmap, int PeakX, int PeakY);

    /// <summary>
    /// The heatmap of <paramref name="file"/> (one of <see cref="Images"/> of <paramref name="input"/>) as an overlay under
    /// <paramref name="outFolder"/>; null when the image cannot be read (warned).
    /// </summary>
    public static Written? Write(CastingOnnxModel network, string file, string input, string outFolder, int? patch, HeatmapSource source = HeatmapSource.Auto)
    {
        string inputRoot = File.Exists(input) ? Path.GetDirectoryName(input)! : input;
        DefectHeatmap map;
        try
        {
            map = network.Explain(file, source, patch);
        }
        catch (InvalidDataException e)
        {
            Console.Error.WriteLine($"warning: no heatmap for {file}: {e.Message}");
            return null;
        }
        string verdict = map.Probability >= network.Threshold ? "NG" : "OK";
        string name = Path.GetRelativePath(inputRoot, file);
        string target = Path.Combine(outFolder, Path.ChangeExtension(name, null) + ".heatmap.png");
        byte[] png = HeatmapOverlay.RenderPng(file, map, verdict);
        AtomicFile.Write(target, s => s.Write(png));
        using var codec = SkiaSharp.SKCodec.Create(new MemoryStream(png));
        int width = codec.Info.Width, height = codec.Info.Height;
        return new Written(file, name, verdict, map.Probability, target,
            (int)Math.Round((map.PeakX + 0.5) * width / map.Width - 0.5), (int)Math.Round((map.PeakY + 0.5) * height / map.Height - 0.5));
    }

    /// <summary>The image files of <paramref name="path"/> (a file or a folder, recursively), leaving out an output folder inside it.</summary>
    public static string[] Images(string path, string? excludedFolder = null) =>
        File.Exists(path) ? [path]
        : Directory.Exists(path) ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Where(ImageProbe.HasImageExtension)
            .Where(f => excludedFolder is null || !Path.GetFullPath(f).StartsWith(excludedFolder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToArray()
        : throw new FileNotFoundException($"Input '{path}' is neither a file nor a folder.");
}
