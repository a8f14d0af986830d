using System.Diagnostics;
using CastingDefects.ML.Training.Models;

namespace CastingDefects.ML.Benchmarking;

/// <summary>
/// Measures inference latency of the library's models on its engines in one process (warm-up, then repeated calls
/// until a time budget; median and mean per call, allocations). Weights are random: latency does not depend on
/// them. For publication-grade numbers run the BenchmarkDotNet project; this is what <c>casting-defects benchmark</c>
/// prints, with every ratio taken within one run.
/// </summary>
public static class LatencyBenchmark
{
    /// <summary>The engine names used in results.</summary>
    public static string Name(InferenceEngine engine) => engine switch
    {
        InferenceEngine.OnnxRuntime => "onnxruntime",
        InferenceEngine.OnnxRuntimeInt8 => "onnxruntime-int8",
        InferenceEngine.Int8Kernels => "int8-kernels",
        InferenceEngine.MLNet => "mlnet",
        _ => "torchsharp",
    };

    /// <summary>Builds a model for benchmarking (random weights, seed 1) and its ONNX export.</summary>
    public static (Sequential Network, byte[] Onnx) Build(string model, int imageSize)
    {
        bool gray = model.EndsWith("-gray", StringComparison.Ordinal);
        string arch = gray ? model[..^5] : model;
        var network = CastingArchitectures.Create(arch, grayscale: gray, imageSize: imageSize);
        network.Build(seed: 1);
        return (network, network.ToOnnx());
    }

    /// <summary>Parameter counts and ONNX size of each model of the plan.</summary>
    public static IReadOnlyList<ModelFootprint> Footprints(IEnumerable<string> models, int imageSize = 300) => models.Select(m =>
    {
        var (network, onnx) = Build(m, imageSize);
        var c = network.CountParameters();
        network.Dispose();
        return new ModelFootprint(m, c.Total, c.Trainable, c.NonTrainable, onnx.LongLength);
    }).ToList();

    /// <summary>Runs the plan; <paramref name="log"/> receives one line per configuration.</summary>
    public static IReadOnlyList<LatencyResult> Run(BenchmarkPlan plan, Action<string>? log = null, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var results = new List<LatencyResult>();
        string work = Path.Combine(Path.GetTempPath(), $"castingdefects-bench-{Environment.ProcessId}");
        try
        {
            foreach (var model in plan.Models)
            {
                var (network, onnx) = Build(model, plan.ImageSize);
                using var _ = network;
                foreach (var engine in plan.Engines)
                    foreach (int threads in engine == InferenceEngine.MLNet ? [0] : plan.Threads) // ML.NET's ONNX transformer uses all cores
                    {
                        BatchPredictor predictor;
                        try { predictor = BatchPredictor.Create(engine, network, onnx, threads, work); }
                        catch (NotSupportedException e)
                        {
                            log?.Invoke($"{model,-13} {Name(engine),-11} threads {ThreadLabel(threads),3}: skipped ({e.Message})");
                            break;
                        }
                        using var _predictor = predictor;
                        double? perImageMs = null;
                        foreach (int batch in plan.Batches.Order())
                        {
                            token.ThrowIfCancellationRequested();
                            if (perImageMs is { } estimate && estimate * batch > plan.MaxCallTime.TotalMilliseconds)
                            {
                                log?.Invoke($"{model,-13} {Name(engine),-11} batch {batch,4} threads {ThreadLabel(threads),3}: skipped (about {estimate * batch / 1000:F0} s per call)");
                                continue;
                            }
                            var r = Measure(model, Name(engine), predictor, network.InputShape.Channels, plan.ImageSize, batch, threads, plan);
                            perImageMs = r.MsPerImage;
                            results.Add(r);
                            log?.Invoke($"{model,-13} {r.Engine,-11} batch {batch,4} threads {ThreadLabel(threads),3}: {r.MedianMs,10:F3} ms/call {r.MsPerImage,9:F3} ms/image ({r.Runs} runs)");
                        }
                    }
            }
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        return WithRatios(results);
    }

    /// <summary>
    /// Batch-1 latency of the custom model (paper-gray) on ONNX Runtime with one thread, next to its compute floor
    /// (<see cref="ComputeFloor"/>) measured the same way: returns (model, floor).
    /// </summary>
    public static (LatencyResult Model, LatencyResult Floor) MeasureFloor(BenchmarkPlan plan, string model = "paper-gray")
    {
        ArgumentNullException.ThrowIfNull(plan);
        var (network, onnx) = Build(model, plan.ImageSize);
        using var _ = network;
        using var full = BatchPredictor.Create(InferenceEngine.OnnxRuntime, network, onnx, 1, Path.GetTempPath());
        using var floor = BatchPredictor.Raw(ComputeFloor.ConvolutionsOnly(onnx), 1);
        int channels = network.InputShape.Channels;
        // Interleave two rounds so that a change in machine load affects both alike.
        var a = Measure(model, "onnxruntime", full, channels, plan.ImageSize, 1, 1, plan);
        var b = Measure(model + " (convolutions only)", "onnxruntime", floor, channels, plan.ImageSize, 1, 1, plan);
        var a2 = Measure(model, "onnxruntime", full, channels, plan.ImageSize, 1, 1, plan);
        var b2 = Measure(model + " (convolutions only)", "onnxruntime", floor, channels, plan.ImageSize, 1, 1, plan);
        return (a.MedianMs <= a2.MedianMs ? a : a2, b.MedianMs <= b2.MedianMs ? b : b2);
    }

    /// <summary>
    /// Batch-1 latency of an exported classifier (the library's ONNX contract) with <paramref name="threads"/> threads,
    /// run as <see cref="Inference.CastingOnnxModel"/> runs it by default (a Grad-CAM heatmap's nodes left out; an int8
    /// network on the library's kernels where they run it: the result's engine says which), for inputs of
    /// <paramref name="imageSize"/> pixels wide and <paramref name="height"/> high (default square); the plan gives the
    /// time budget and the minimum runs (default: 2 s, 5 runs).
    /// </summary>
    public static LatencyResult MeasureOnnx(string name, byte[] onnx, int channels, int imageSize, int threads = 1, BenchmarkPlan? plan = null, int? height = null)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        using var predictor = BatchPredictor.Onnx(onnx, threads);
        return Measure(name, Name(predictor.Engine), predictor, channels, imageSize, 1, threads, plan ?? new BenchmarkPlan(), height ?? imageSize);
    }

    /// <summary>Sets <see cref="LatencyResult.SpeedupVsCustom"/>: time per image over paper-gray's on the same engine, batch and threads.</summary>
    public static IReadOnlyList<LatencyResult> WithRatios(IReadOnlyList<LatencyResult> results) => results.Select(r =>
    {
        var custom = results.FirstOrDefault(c => c.Model == "paper-gray" && c.Engine == r.Engine && c.Batch == r.Batch && c.Threads == r.Threads);
        return r with { SpeedupVsCustom = custom is null ? null : r.MsPerImage / custom.MsPerImage };
    }).ToList();

    private static string ThreadLabel(int threads) => threads == 0 ? "all" : threads.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static LatencyResult Measure(string model, string engine, BatchPredictor predictor, int channels, int size, int batch, int threads, BenchmarkPlan plan, int? height = null)
    {
        var input = new float[(long)batch * channels * size * (height ?? size)];
        var random = new Random(batch);
        for (long i = 0; i < input.LongLength; i++) input[i] = (float)random.NextDouble();

        // Warm-up: at least two calls and 20% of the budget.
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 2 || warm.Elapsed < plan.Budget / 5; i++) predictor.Predict(input, batch);

        var times = new List<double>();
        long allocated = 0;
        var total = Stopwatch.StartNew();
        while (times.Count < plan.MinRuns || total.Elapsed < plan.Budget)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            predictor.Predict(input, batch);
            times.Add(clock.Elapsed.TotalMilliseconds);
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            if (times.Count >= 10_000) break;
        }
        times.Sort();
        double median = times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
        return new LatencyResult(model, engine, batch, threads == 0 ? Environment.ProcessorCount : threads, size, times.Count,
            times.Average(), median, median / batch, allocated / times.Count);
    }
}
