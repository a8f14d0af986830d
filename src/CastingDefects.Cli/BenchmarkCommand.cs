using System.CommandLine;
using CastingDefects.ML.IO;
using CastingDefects.ML.Benchmarking;
using CastingDefects.ML.Training.Models;

namespace CastingDefects.Cli;

internal static class BenchmarkCommand
{
    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "A short subset: batch 1 and 10, one thread (about two minutes)" };
        var models = new Option<string[]>("--models") { Description = "Models (default: paper-gray paper mobilenetv2 nasnetmobile resnet50 resnet18)", AllowMultipleArgumentsPerToken = true };
        var engines = new Option<string[]>("--engines") { Description = "Engines: onnxruntime onnxruntime-int8 int8-kernels mlnet torchsharp (default all)", AllowMultipleArgumentsPerToken = true };
        var batches = new Option<int[]>("--batches") { Description = "Batch sizes (default 1 10 50 100 715; --quick: 1 10)", AllowMultipleArgumentsPerToken = true };
        var size = new Option<int>("--image-size") { Description = "Input width and height", DefaultValueFactory = _ => 300 };
        var output = new Option<string?>("--out") { Description = "Folder for the markdown tables (tables.md) and results.json" };
        var training = new Option<int[]>("--training")
        {
            Description = "Also measure training images/s of the paper CNN (gray, batch 32, Adam) at these sizes (default 128 300), on 1 thread and all cores, beside PyTorch's on the same machine (the reference, when python3 with torch is installed)",
            AllowMultipleArgumentsPerToken = true, Arity = ArgumentArity.ZeroOrMore,
        };
        var json = new Option<bool>("--json") { Description = "Print JSON: { results: [ { model, engine, batch, threads, ms_per_image, speedup_vs_custom, … } ] }" };
        var command = new Command("benchmark", "Measure CPU inference latency of the custom model and the comparison networks on each engine and print the paper's Tables 1, 3, 4 and 5.")
            { quick, models, engines, batches, size, output, json, training };
        command.SetAction((parse, token) => Task.FromResult(CliErrors.Run(() =>
        {
            var basePlan = parse.GetValue(quick) ? BenchmarkPlan.Quick : new BenchmarkPlan();
            var plan = new BenchmarkPlan
            {
                Models = parse.GetValue(models) is { Length: > 0 } m ? m.Select(ValidateModel).ToList() : basePlan.Models,
                Engines = parse.GetValue(engines) is { Length: > 0 } e ? e.Select(ParseEngine).ToList() : basePlan.Engines,
                Batches = parse.GetValue(batches) is { Length: > 0 } b ? b.Select(ValidateBatch).ToList() : basePlan.Batches,
                Threads = basePlan.Threads, Budget = basePlan.Budget, MinRuns = basePlan.MinRuns, ImageSize = parse.GetValue(size),
            };
            bool quiet = parse.GetValue(json);
            int[]? trainSizes = parse.GetResult(training) is null ? null : parse.GetValue(training) is { Length: > 0 } given ? given : [128, 300];
            int minimum = CastingArchitectures.MinimumImageSize("paper");
            if (trainSizes?.Where(t => t < minimum).ToList() is [var tooSmall, ..]) // refused before anything is measured
                throw new ArgumentException($"--training: {tooSmall} px is below the paper CNN's smallest input ({minimum} px).");
            var footprints = LatencyBenchmark.Footprints(plan.Models, plan.ImageSize);
            var results = LatencyBenchmark.Run(plan, quiet ? null : Console.WriteLine, token);
            var (custom, floor) = LatencyBenchmark.MeasureFloor(plan);
            if (!quiet)
                Console.WriteLine($"paper-gray batch 1, 1 thread: {custom.MedianMs:F3} ms; its convolutions alone (compute floor): {floor.MedianMs:F3} ms; ratio {custom.MedianMs / floor.MedianMs:F2}");
            string tables = PaperTables.Markdown(footprints, results, "onnxruntime", 1) + Int8Table(results);
            var trainingRows = new List<TrainingThroughput>();
            string? referenceMissing = null;
            if (trainSizes is not null)
            {
                foreach (int trainSize in trainSizes.Distinct())
                    foreach (int threads in new[] { 1, Environment.ProcessorCount }.Distinct())
                    {
                        token.ThrowIfCancellationRequested();
                        int images = trainSize <= 160 ? 512 : 256;
                        var ours = TrainingBenchmark.Measure(trainSize, threads, images);
                        trainingRows.Add(ours);
                        var reference = TrainingBenchmark.MeasurePyTorch(trainSize, threads, images, ours.Batch, out string? why);
                        if (reference is not null) trainingRows.Add(reference);
                        referenceMissing ??= why;
                        if (!quiet)
                            Console.WriteLine($"training {trainSize} px, {threads} thread(s): {ours.ImagesPerSecond:F0} images/s" +
                                (reference is null ? $" (PyTorch reference not run: {why})" : $"; PyTorch {reference.ImagesPerSecond:F0} images/s ({ours.ImagesPerSecond / reference.ImagesPerSecond:F2}x)"));
                    }
                tables += TrainingTable(trainingRows, referenceMissing);
            }
            var document = new
            {
                image_size = plan.ImageSize, cores = Environment.ProcessorCount,
                compute_floor = new { model = custom.Model, ms = custom.MedianMs, floor_ms = floor.MedianMs, ratio = custom.MedianMs / floor.MedianMs },
                results = results.Select(r => new
                {
                    model = r.Model, engine = r.Engine, batch = r.Batch, threads = r.Threads, ms_per_image = r.MsPerImage, speedup_vs_custom = r.SpeedupVsCustom,
                    median_ms = r.MedianMs, mean_ms = r.MeanMs, runs = r.Runs, allocated_bytes_per_call = r.AllocatedBytesPerCall,
                    speedup_vs_fp32 = Int8Engines.Contains(r.Engine) && Float(results, r) is { } f ? f.MsPerImage / r.MsPerImage : (double?)null,
                }),
                training = trainingRows.Select(t => new
                {
                    framework = t.Framework, version = t.Version, image_size = t.ImageSize, threads = t.Threads, batch = t.Batch, images = t.Images,
                    seconds = t.Seconds, images_per_second = t.ImagesPerSecond,
                    vs_pytorch = t.Framework == "pytorch" ? (double?)null : trainingRows.FirstOrDefault(r => r.Framework == "pytorch" && r.ImageSize == t.ImageSize && r.Threads == t.Threads) is { } p
                        ? t.ImagesPerSecond / p.ImagesPerSecond : null,
                }),
                training_reference_missing = referenceMissing,
                models = footprints.Select(f => new
                {
                    model = f.Model, total_params = f.TotalParams, trainable_params = f.TrainableParams, non_trainable_params = f.NonTrainableParams,
                    onnx_megabytes = f.OnnxMegabytes,
                }),
            };
            if (parse.GetValue(output) is { } folder)
            {
                Directory.CreateDirectory(folder);
                AtomicFile.Write(Path.Combine(folder, "tables.md"), s => s.Write(System.Text.Encoding.UTF8.GetBytes(tables)));
                AtomicFile.Write(Path.Combine(folder, "results.json"), s => s.Write(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(document, CliJson.Options)));
            }
            if (quiet) CliJson.Print(document);
            else
            {
                Console.WriteLine();
                Console.Write(tables);
            }
            return 0;
        })));
        return command;
    }

    private static string ValidateModel(string name)
    {
        // A model is an architecture name, optionally with -gray (as LatencyBenchmark.Build reads it).
        try
        {
            CastingArchitectures.Resolve(name.EndsWith("-gray", StringComparison.Ordinal) ? name[..^5] : name);
            return name;
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"Unknown model '{name}' (--models): {e.Message} Add -gray for one input plane.", e);
        }
    }

    private static InferenceEngine ParseEngine(string name) => name.ToLowerInvariant() switch
    {
        "onnxruntime" or "ort" => InferenceEngine.OnnxRuntime,
        "onnxruntime-int8" or "int8" => InferenceEngine.OnnxRuntimeInt8,
        "int8-kernels" or "kernels" => InferenceEngine.Int8Kernels,
        "mlnet" => InferenceEngine.MLNet,
        "torchsharp" => InferenceEngine.TorchSharp,
        _ => throw new ArgumentException($"Unknown engine '{name}' (--engines). Available: onnxruntime, onnxruntime-int8, int8-kernels, mlnet, torchsharp."),
    };

    /// <summary>The int8 engines: ONNX Runtime's integer kernels and the library's.</summary>
    private static readonly string[] Int8Engines = [LatencyBenchmark.Name(InferenceEngine.OnnxRuntimeInt8), LatencyBenchmark.Name(InferenceEngine.Int8Kernels)];

    /// <summary>The float ONNX Runtime row measured like <paramref name="r"/> (same model, batch and threads).</summary>
    private static LatencyResult? Float(IReadOnlyList<LatencyResult> results, LatencyResult r) =>
        results.FirstOrDefault(f => f.Engine == LatencyBenchmark.Name(InferenceEngine.OnnxRuntime) && f.Model == r.Model && f.Batch == r.Batch && f.Threads == r.Threads);

    /// <summary>
    /// int8 beside fp32, per model, batch and threads: ONNX Runtime's integer kernels and the library's, each with its
    /// speed-up over ONNX Runtime in float (empty when no int8 engine was measured).
    /// </summary>
    private static string Int8Table(IReadOnlyList<LatencyResult> results)
    {
        var rows = results.Where(r => Int8Engines.Contains(r.Engine)).DistinctBy(r => (r.Model, r.Batch, r.Threads))
            .Select(r => (Key: (r.Model, r.Batch, r.Threads), Fp32: Float(results, r))).Where(p => p.Fp32 is not null).ToList();
        if (rows.Count == 0) return "";
        string Cell(LatencyResult fp32, string engine, (string, int, int) key) =>
            results.FirstOrDefault(r => r.Engine == engine && (r.Model, r.Batch, r.Threads) == key) is { } r
                ? System.FormattableString.Invariant($"{r.MsPerImage:F3} ({fp32.MsPerImage / r.MsPerImage:F2}x)") : "-";
        var sb = new System.Text.StringBuilder();
        sb.AppendLine().AppendLine("int8 (QDQ, `casting-defects quantize`) beside fp32, ms per image (median; speed-up over fp32 ONNX Runtime)").AppendLine();
        sb.AppendLine("| model | batch | threads | fp32 ONNX Runtime | int8 ONNX Runtime | int8 kernels |").AppendLine("|---|---|---|---|---|---|");
        foreach (var (key, fp32) in rows)
            sb.AppendLine(System.FormattableString.Invariant($"| {key.Model} | {key.Batch} | {key.Threads} | {fp32!.MsPerImage:F3} | {Cell(fp32, Int8Engines[0], key)} | {Cell(fp32, Int8Engines[1], key)} |"));
        return sb.ToString();
    }

    /// <summary>The training rows as a markdown table: ours beside PyTorch's per size and thread count.</summary>
    private static string TrainingTable(IReadOnlyList<TrainingThroughput> rows, string? referenceMissing)
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine().AppendLine($"Training throughput, paper CNN (gray, batch 32, Adam; the fastest of {TrainingBenchmark.TimedEpochs} epochs after a warm-up epoch, random images)").AppendLine();
        sb.AppendLine("| image size | threads | casting-defects images/s | PyTorch images/s | ratio |").AppendLine("|---|---|---|---|---|");
        foreach (var ours in rows.Where(r => r.Framework != "pytorch"))
        {
            var reference = rows.FirstOrDefault(r => r.Framework == "pytorch" && r.ImageSize == ours.ImageSize && r.Threads == ours.Threads);
            sb.AppendLine(System.FormattableString.Invariant($"| {ours.ImageSize} | {ours.Threads} | {ours.ImagesPerSecond:F0} | {(reference is null ? "-" : reference.ImagesPerSecond.ToString("F0", System.Globalization.CultureInfo.InvariantCulture))} | {(reference is null ? "-" : (ours.ImagesPerSecond / reference.ImagesPerSecond).ToString("F2", System.Globalization.CultureInfo.InvariantCulture) + "x")} |"));
        }
        if (referenceMissing is not null) sb.AppendLine().AppendLine($"PyTorch reference not run: {referenceMissing}.");
        else if (rows.FirstOrDefault(r => r.Framework == "pytorch") is { } p) sb.AppendLine().AppendLine($"Reference: {p.Version}, the same network and loop (paper_cnn_training.py, embedded in the tool).");
        return sb.ToString();
    }

    private static int ValidateBatch(int batch) => batch > 0 ? batch : throw new ArgumentException($"Batch sizes must be positive (--batches), got {batch}.");
}
