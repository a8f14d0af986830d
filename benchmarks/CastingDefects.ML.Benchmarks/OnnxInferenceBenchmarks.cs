using BenchmarkDotNet.Attributes;
using CastingDefects.ML.Inference;

namespace CastingDefects.ML.Benchmarks;

/// <summary>
/// The paper's Table 4 on ONNX Runtime: time per batch for batch sizes 1, 10, 50, 100 and 715 (the test set), 300x300,
/// one thread and all cores. Divide by Batch for ms per image.
/// </summary>
[MemoryDiagnoser]
public class OnnxInferenceBenchmarks
{
    private CastingOnnxModel _model = null!;
    private float[] _input = null!;

    [Params("paper-gray", "paper")]
    public string Model { get; set; } = "paper-gray";

    [Params(1, 10, 50, 100, 715)]
    public int Batch { get; set; }

    [Params(1, 0)] // 0 = all cores
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _model = new CastingOnnxModel(BenchmarkModels.Onnx(Model), Threads == 0 ? Environment.ProcessorCount : Threads);
        _input = BenchmarkModels.RandomInput(Batch, _model.Image.Channels, _model.Image.Width);
    }

    [Benchmark]
    public float[] Predict() => _model.PredictProbabilities(_input, Batch);

    [GlobalCleanup]
    public void Cleanup() => _model.Dispose();
}
