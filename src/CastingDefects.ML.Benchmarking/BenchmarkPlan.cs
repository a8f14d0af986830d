namespace CastingDefects.ML.Benchmarking;

/// <summary>What <see cref="LatencyBenchmark"/> measures.</summary>
public sealed class BenchmarkPlan
{
    /// <summary>
    /// Models (default: the custom model in gray and RGB and the comparison networks, from
    /// <see cref="CastingDefects.ML.Training.Models.CastingArchitectures.Names"/>; the pretrained ResNet18 has the shapes of resnet18).
    /// </summary>
    public IReadOnlyList<string> Models { get; init; } = DefaultModels;

    /// <summary>The default <see cref="Models"/>: paper-gray, then every architecture name but resnet18-pretrained.</summary>
    public static IReadOnlyList<string> DefaultModels { get; } =
        ["paper-gray", .. CastingDefects.ML.Training.Models.CastingArchitectures.Names.Where(n => n != "resnet18-pretrained")];

    /// <summary>Engines (default all five: ONNX Runtime in float and int8, the library's int8 kernels, ML.NET, TorchSharp).</summary>
    public IReadOnlyList<InferenceEngine> Engines { get; init; } = [InferenceEngine.OnnxRuntime, InferenceEngine.OnnxRuntimeInt8, InferenceEngine.Int8Kernels, InferenceEngine.MLNet, InferenceEngine.TorchSharp];

    /// <summary>Batch sizes (default the paper's 1, 10, 50, 100, 715).</summary>
    public IReadOnlyList<int> Batches { get; init; } = [1, 10, 50, 100, 715];

    /// <summary>Thread settings: 1, and 0 for all cores (default both).</summary>
    public IReadOnlyList<int> Threads { get; init; } = [1, 0];

    /// <summary>Input width and height (default 300, the paper's).</summary>
    public int ImageSize { get; init; } = 300;

    /// <summary>Measuring time per configuration after warm-up (default 2 s).</summary>
    public TimeSpan Budget { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Minimum measured calls per configuration (default 5).</summary>
    public int MinRuns { get; init; } = 5;

    /// <summary>
    /// Skips configurations whose estimated time per call exceeds this (large networks at batch 715 on TorchSharp
    /// take minutes per call); default 60 s.
    /// </summary>
    public TimeSpan MaxCallTime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A short subset for a quick look: all models, batch 1 and 10, one thread, ONNX Runtime and TorchSharp at batch 1.</summary>
    public static BenchmarkPlan Quick { get; } = new()
    {
        Batches = [1, 10], Threads = [1], Budget = TimeSpan.FromSeconds(0.5), MinRuns = 3,
    };
}
