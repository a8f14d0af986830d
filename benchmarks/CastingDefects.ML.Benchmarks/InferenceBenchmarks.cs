using BenchmarkDotNet.Attributes;
using CastingDefects.ML.Benchmarking;

namespace CastingDefects.ML.Benchmarks;

/// <summary>
/// The paper's Table 4, on every engine: time per batch for batch sizes 1, 10, 50, 100 and 715 (the test set),
/// 300x300, one thread and all cores, for the custom model (gray and RGB) and the four comparison networks. Divide by
/// Batch for ms per image. The ML.NET engine always runs on all cores (its ONNX transformer does not take a thread
/// count), so its Threads=1 cases are skipped. The full matrix takes hours (ResNet50 at batch 715 on TorchSharp
/// alone takes minutes per call); filter it, e.g. <c>--filter '*InferenceBenchmarks*' --anyCategories onnxruntime</c>.
/// </summary>
[MemoryDiagnoser]
public class InferenceBenchmarks
{
    private BatchPredictor? _predictor;
    private float[] _input = null!;

    [ParamsSource(nameof(Models))]
    public string Model { get; set; } = "paper-gray";

    /// <summary>The models of <see cref="BenchmarkPlan.DefaultModels"/> (one list of architectures).</summary>
    public static IEnumerable<string> Models => BenchmarkPlan.DefaultModels;

    [Params(InferenceEngine.OnnxRuntime, InferenceEngine.OnnxRuntimeInt8, InferenceEngine.Int8Kernels, InferenceEngine.MLNet, InferenceEngine.TorchSharp)]
    public InferenceEngine Engine { get; set; }

    [Params(1, 10, 50, 100, 715)]
    public int Batch { get; set; }

    [Params(1, 0)] // 0 = all cores
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (Engine == InferenceEngine.MLNet && Threads == 1) return; // not a configuration ML.NET offers
        var (network, onnx) = BenchmarkModels.Get(Model);
        try { _predictor = BatchPredictor.Create(Engine, network, onnx, Threads, Path.Combine(Path.GetTempPath(), "castingdefects-bdn")); }
        catch (NotSupportedException) { return; } // the int8 kernels run plain convolutional networks on AVX-VNNI CPUs only

        _input = BenchmarkModels.RandomInput(Batch, network.InputShape.Channels, network.InputShape.Width);
    }

    [Benchmark]
    public float[]? Predict() => _predictor?.Predict(_input, Batch);

    [GlobalCleanup]
    public void Cleanup() => _predictor?.Dispose();
}

/// <summary>The compute floor of the custom model: its convolutions alone (see <see cref="ComputeFloor"/>), batch 1, one thread, next to the whole model.</summary>
[MemoryDiagnoser]
public class ComputeFloorBenchmarks
{
    private BatchPredictor _model = null!, _floor = null!;
    private float[] _input = null!;

    [GlobalSetup]
    public void Setup()
    {
        var (network, onnx) = BenchmarkModels.Get("paper-gray");
        _model = BatchPredictor.Create(InferenceEngine.OnnxRuntime, network, onnx, 1, Path.GetTempPath());
        _floor = BatchPredictor.Raw(ComputeFloor.ConvolutionsOnly(onnx), 1);
        _input = BenchmarkModels.RandomInput(1, 1, 300);
    }

    [Benchmark(Baseline = true, Description = "convolutions only (floor)")]
    public float[] Floor() => _floor.Predict(_input, 1);

    [Benchmark(Description = "paper-gray, whole model")]
    public float[] Model() => _model.Predict(_input, 1);

    [GlobalCleanup]
    public void Cleanup()
    {
        _model.Dispose();
        _floor.Dispose();
    }
}
