using System.CommandLine;
using System.Globalization;
using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.Cli;

internal static class PredictCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model file (.zip) written by train", Required = true };
        var input = new Option<string?>("--input") { Description = "An image file or a folder of images (searched recursively)" };
        var watch = new Option<string?>("--watch") { Description = "Watch this folder instead: classify what is there and each new image once it is completely written, append each result to --out (default FOLDER/predictions.csv), until Ctrl-C. A restart continues where it stopped" };
        var move = new Option<bool>("--move") { Description = "With --watch: move each classified image into OK/, NG/ (or its class, or ERROR/) inside the folder" };
        var settle = new Option<int>("--settle-ms") { Description = "With --watch: how long a file must stay unchanged before it is read", DefaultValueFactory = _ => 1000 };
        var output = new Option<string?>("--out") { Description = "Write CSV (path,label,probability) or, for .json, JSON here instead of standard output. Label: OK/NG for a binary model (probability of a defect), the class for a multiclass one (its probability; JSON adds every class's)" };
        var heatmaps = new Option<string?>("--heatmaps") { Description = "Also write a heatmap overlay per image into this folder (NAME.heatmap.png; binary models): where the model sees the defect" };
        var command = new Command("predict", "Predict OK/NG for an image or a folder of images, or watch a folder (--watch).") { model, input, output, heatmaps, watch, move, settle };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            if (parse.GetValue(watch) is { } watched)
            {
                if (parse.GetValue(input) is not null) throw new ArgumentException("--input and --watch: give one of them.");
                if (parse.GetValue(heatmaps) is not null) throw new ArgumentException("--heatmaps: not with --watch.");
                return Watch(parse.GetValue(model)!, watched, parse.GetValue(output), parse.GetValue(move), parse.GetValue(settle));
            }
            if (parse.GetValue(input) is null) throw new ArgumentException("--input: give an image or a folder (or --watch FOLDER).");
            if (parse.GetValue(move)) throw new ArgumentException("--move: only with --watch.");
            // The batched path the README benchmarks: parallel decoding, one ONNX Runtime call per chunk, the model's
            // own threshold and class names (the same network and preprocessing as the ML.NET model in the .zip).
            using var network = CastingOnnxModel.Load(parse.GetValue(model)!);
            string path = Path.GetFullPath(parse.GetValue(input)!);
            string? heatmapFolder = parse.GetValue(heatmaps) is { } h ? Path.GetFullPath(h) : null;
            string[] files = HeatmapFiles.Images(path, heatmapFolder);
            string? outPath = parse.GetValue(output);
            OutputPaths.NotAnInput(outPath, "--out", [parse.GetValue(model)!, .. files]);
            OutputPaths.WritableFile(outPath, "--out");
            OutputPaths.NotAnInput(heatmapFolder, "--heatmaps", [parse.GetValue(model)!, .. files]);
            OutputPaths.WritableFolder(heatmapFolder, "--heatmaps");
            // A binary model gives OK/NG and the defect probability; a multiclass one the class and its probability.
            bool multiclass = network.Classes.Count > 0;
            if (multiclass && heatmapFolder is not null) throw new ArgumentException("--heatmaps: heatmaps are for binary (OK/NG) models; this model separates classes.");
            IReadOnlyList<string> classNames = network.Classes;
            bool bar = !Console.IsErrorRedirected && files.Length > 1;
            var predictions = network.PredictFiles(files, progress: bar ? new SynchronousProgress<int>(done => Console.Error.Write($"\r{done}/{files.Length} images")) : null);
            if (bar) Console.Error.WriteLine();
            var rows = predictions.Select(r => r.Classification is { } c
                ? (r.Path, Label: c.Verdict, c.Probability, Probabilities: c.ClassProbabilities is { } all ? classNames.Select(n => all[n]).ToArray() : null, Error: (string?)null)
                : (r.Path, Label: "ERROR", Probability: float.NaN, Probabilities: (float[]?)null, r.Error)).ToList();
            void Write(TextWriter writer)
            {
                if (outPath is not null && outPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                    writer.Write(System.Text.Json.JsonSerializer.Serialize(rows.Select(r => new
                    {
                        path = r.Path, label = r.Label, probability = float.IsNaN(r.Probability) ? (float?)null : r.Probability,
                        probabilities = r.Probabilities is null ? null : classNames.Zip(r.Probabilities).ToDictionary(c => c.First, c => c.Second),
                        error = r.Error,
                    }), CliJson.Options));
                else
                {
                    // RFC 4180 through CsvHelper: fields with commas, quotes or line breaks are quoted, lines end in CRLF.
                    using var csv = CsvHelper.CsvWriter.Create(writer, null, true);
                    csv.WriteRecord(["path", "label", "probability"]);
                    foreach (var r in rows)
                        csv.WriteRecord([r.Path, r.Label, float.IsNaN(r.Probability) ? "" : r.Probability.ToString("F6", CultureInfo.InvariantCulture)]);
                    csv.Flush();
                }
            }
            if (outPath is null) Write(Console.Out);
            else // atomically: a kill mid-write leaves the previous results file as it was
                CastingDefects.ML.IO.AtomicFile.Write(outPath, stream =>
                {
                    using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), leaveOpen: true);
                    Write(writer);
                });
            foreach (var r in rows.Where(r => r.Error is not null)) Console.Error.WriteLine($"warning: '{r.Path}': {r.Error}");
            if (heatmapFolder is not null)
            {
                int written = files.Count(f => HeatmapFiles.Write(network, f, path, heatmapFolder, null) is not null);
                Console.Error.WriteLine($"{written} heatmaps in {heatmapFolder}");
            }
            return 0;
        }));
        return command;
    }

    /// <summary>predict --watch: runs a <see cref="FolderWatcher"/> until Ctrl-C or SIGTERM.</summary>
    private static int Watch(string modelPath, string folder, string? outPath, bool move, int settleMs)
    {
        if (settleMs < 0) throw new ArgumentException("--settle-ms: must not be negative.");
        if (outPath is not null && outPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException("--out: with --watch results are appended as CSV; give a .csv path.");
        string full = Path.GetFullPath(folder);
        if (!Directory.Exists(full)) throw new ArgumentException($"--watch: folder '{full}' does not exist.");
        OutputPaths.NotAnInput(outPath, "--out", [modelPath]);
        using var network = CastingOnnxModel.Load(modelPath);
        var watcher = new FolderWatcher(network, new FolderWatchOptions
        {
            Folder = full, ResultsPath = outPath, MoveToVerdictFolders = move, SettleTime = TimeSpan.FromMilliseconds(settleMs),
        });
        int count = 0;
        watcher.Classified += (_, image) =>
        {
            count++;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{image.Label}\t{image.Probability:F6}\t{image.Path}"));
            if (image.Error is not null) Console.Error.WriteLine($"warning: '{image.Path}': {image.Error}");
        };
        using var stop = new CancellationTokenSource();
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        Console.Error.WriteLine($"watching {full} ({watcher.Recorded} images already in {watcher.ResultsPath}); Ctrl-C stops");
        watcher.RunAsync(stop.Token).GetAwaiter().GetResult();
        Console.Error.WriteLine($"stopped: {count} images classified in this run, {watcher.Recorded} in {watcher.ResultsPath}");
        return 0;
    }
}
