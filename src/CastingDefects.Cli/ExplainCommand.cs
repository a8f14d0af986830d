using System.CommandLine;
using CastingDefects.ML.Inference;

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
            string[] files = HeatmapFiles.Images(path, outFolder);
            OutputPaths.NotAnInput(outFolder, "--out", [modelPath, .. files]);
            OutputPaths.WritableFolder(outFolder, "--out");
            using var network = CastingOnnxModel.Load(modelPath);
            var results = new List<object>();
            foreach (var file in files)
            {
                if (HeatmapFiles.Write(network, file, path, outFolder, parse.GetValue(patch)) is not { } w) continue;
                results.Add(new { path = w.Path, verdict = w.Verdict, probability = w.Probability, heatmap = w.Heatmap, peak_x = w.PeakX, peak_y = w.PeakY });
                if (!parse.GetValue(json)) Console.WriteLine($"{w.Verdict} {w.Probability:0.0000} {w.Name} -> {w.Heatmap} (peak at {w.PeakX},{w.PeakY})");
            }
            if (parse.GetValue(json)) CliJson.Print(new { model = Path.GetFullPath(modelPath), threshold = network.Threshold, images = results });
            return 0;
        }));
        return command;
    }
}
