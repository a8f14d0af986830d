using System.CommandLine;
using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using CastingDefects.ML.IO;

namespace CastingDefects.Cli;

/// <summary>
/// <c>casting-defects explain</c>: one heatmap overlay (PNG) per image, showing where the deployed model sees the defect
/// (occlusion sensitivity through the model's ONNX network; no libtorch).
/// </summary>
internal static class ExplainCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model file (.zip written by train, or its .onnx); binary (OK/NG) models", Required = true };
        var input = new Option<string>("--input") { Description = "An image file or a folder of images (searched recursively)", Required = true };
        var output = new Option<string>("--out") { Description = "Folder for the overlays: NAME.heatmap.png per image, in the input's subfolders", Required = true };
        var patch = new Option<int?>("--patch") { Description = "Side of the occluding patch in model pixels (default: an eighth of the model's input size)" };
        var json = new Option<bool>("--json") { Description = "Print JSON: per image the verdict, probability, heatmap file and the peak (in the image's own pixels)" };
        var command = new Command("explain", "Write a heatmap overlay per image: where the model sees the defect (the fall of its defect probability when that part of the image is hidden).")
            { model, input, output, patch, json };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            string modelPath = parse.GetValue(model)!;
            string path = Path.GetFullPath(parse.GetValue(input)!);
            string outFolder = Path.GetFullPath(parse.GetValue(output)!);
            string[] files = File.Exists(path) ? [path]
                : Directory.Exists(path) ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Where(ImageProbe.HasImageExtension)
                    .Where(f => !Path.GetFullPath(f).StartsWith(outFolder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                    .Order(StringComparer.Ordinal).ToArray()
                : throw new FileNotFoundException($"Input '{path}' is neither a file nor a folder.");
            OutputPaths.NotAnInput(outFolder, "--out", [modelPath, .. files]);
            OutputPaths.WritableFolder(outFolder, "--out");
            using var network = CastingOnnxModel.Load(modelPath);
            string root = File.Exists(path) ? Path.GetDirectoryName(path)! : path;
            var results = new List<object>();
            foreach (var file in files)
            {
                DefectHeatmap map;
                try
                {
                    map = OcclusionHeatmap.Compute(network, file, parse.GetValue(patch));
                }
                catch (InvalidDataException e)
                {
                    Console.Error.WriteLine($"warning: skipped {file}: {e.Message}");
                    continue;
                }
                string verdict = map.Probability >= network.Threshold ? "NG" : "OK";
                string relative = Path.GetRelativePath(root, file);
                string target = Path.Combine(outFolder, Path.ChangeExtension(relative, null) + ".heatmap.png");
                byte[] png = HeatmapOverlay.RenderPng(file, map, verdict);
                AtomicFile.Write(target, s => s.Write(png));
                var (width, height) = ImageSize(png);
                int peakX = (int)Math.Round((map.PeakX + 0.5) * width / map.Width - 0.5), peakY = (int)Math.Round((map.PeakY + 0.5) * height / map.Height - 0.5);
                results.Add(new { path = file, verdict, probability = map.Probability, heatmap = target, peak_x = peakX, peak_y = peakY });
                if (!parse.GetValue(json)) Console.WriteLine($"{verdict} {map.Probability:0.0000} {relative} -> {target} (peak at {peakX},{peakY})");
            }
            if (parse.GetValue(json)) CliJson.Print(new { model = Path.GetFullPath(modelPath), threshold = network.Threshold, images = results });
            return 0;
        }));
        return command;
    }

    private static (int Width, int Height) ImageSize(byte[] png)
    {
        using var codec = SkiaSharp.SKCodec.Create(new MemoryStream(png));
        return (codec.Info.Width, codec.Info.Height);
    }
}
