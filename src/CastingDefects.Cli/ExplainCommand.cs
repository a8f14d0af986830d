using System.CommandLine;
using CastingDefects.ML.Inference;

namespace CastingDefects.Cli;

/// <summary>
/// <c>casting-defects explain</c>: one heatmap overlay (PNG) per image, showing where the deployed model sees the defect:
/// the Grad-CAM map its ONNX network computes itself, or occlusion sensitivity for models saved without it (no libtorch).
/// </summary>
internal static class ExplainCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model file (.zip written by train, or its .onnx); binary (OK/NG) models", Required = true };
        var input = new Option<string>("--input") { Description = "An image file or a folder of images (searched recursively)", Required = true };
        var output = new Option<string>("--out") { Description = "Folder for the overlays: NAME.heatmap.png per image, in the input's subfolders", Required = true };
        var method = new Option<string>("--method") { Description = "auto (the model's own Grad-CAM or anomaly map, else occlusion), gradcam (the model's own map) or occlusion", DefaultValueFactory = _ => "auto" };
        method.AcceptOnlyFromAmong("auto", "gradcam", "occlusion");
        var patch = new Option<int?>("--patch") { Description = "Occlusion: side of the occluding patch in model pixels (default: an eighth of the model's input size)" };
        var sheet = new Option<string?>("--sheet") { Description = "Also write one PNG with the overlays side by side (a figure; at most the first 24 images)" };
        var json = new Option<bool>("--json") { Description = "Print JSON: per image the verdict, probability, heatmap file and the peak (in the image's own pixels)" };
        var command = new Command("explain", "Write a heatmap overlay per image: where the model sees the defect (its Grad-CAM map, or the fall of its defect probability when that part of the image is hidden).")
            { model, input, output, method, patch, sheet, json };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            string modelPath = parse.GetValue(model)!;
            string path = Path.GetFullPath(parse.GetValue(input)!);
            string outFolder = Path.GetFullPath(parse.GetValue(output)!);
            string[] files = HeatmapFiles.Images(path, outFolder);
            OutputPaths.NotAnInput(outFolder, "--out", [modelPath, .. files]);
            OutputPaths.WritableFolder(outFolder, "--out");
            string? sheetPath = parse.GetValue(sheet) is { } sp ? Path.GetFullPath(sp) : null;
            if (sheetPath is not null)
            {
                if (!sheetPath.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) throw new ArgumentException($"--sheet '{sheetPath}': the sheet is a PNG file (name it .png).");
                OutputPaths.NotAnInput(sheetPath, "--sheet", [modelPath, .. files]);
            }
            using var network = CastingOnnxModel.Load(modelPath);
            var source = parse.GetValue(method) switch { "gradcam" => HeatmapSource.Model, "occlusion" => HeatmapSource.Occlusion, _ => HeatmapSource.Auto };
            if (source == HeatmapSource.Model && !network.HasHeatmap)
                throw new ArgumentException($"--method gradcam: model '{Path.GetFullPath(modelPath)}' was saved without a heatmap output (train it again, or use --method occlusion).");
            string used = network.IsAnomalyDetector ? "anomaly-map" // a detector's own map, whatever the method
                : source == HeatmapSource.Occlusion || !network.HasHeatmap ? "occlusion" : "gradcam";
            var results = new List<object>();
            var sheetFiles = new List<string>();
            foreach (var file in files)
            {
                if (HeatmapFiles.Write(network, file, path, outFolder, parse.GetValue(patch), source) is not { } w) continue;
                sheetFiles.Add(w.Heatmap);
                results.Add(new { path = w.Path, verdict = w.Verdict, probability = w.Probability, heatmap = w.Heatmap, peak_x = w.PeakX, peak_y = w.PeakY });
                if (!parse.GetValue(json)) Console.WriteLine($"{w.Verdict} {w.Probability:0.0000} {w.Name} -> {w.Heatmap} (peak at {w.PeakX},{w.PeakY})");
            }
            if (sheetPath is not null && sheetFiles.Count > 0)
            {
                var overlays = sheetFiles.Take(24).Select(File.ReadAllBytes).ToList();
                byte[] png = HeatmapOverlay.Sheet(overlays);
                CastingDefects.ML.IO.AtomicFile.Write(sheetPath, s => s.Write(png));
                if (!parse.GetValue(json)) Console.WriteLine($"sheet of {overlays.Count} overlays -> {sheetPath}");
            }
            if (parse.GetValue(json)) CliJson.Print(new { model = Path.GetFullPath(modelPath), threshold = network.Threshold, method = used, sheet = sheetPath, images = results });
            return 0;
        }));
        return command;
    }
}
