using BenchmarkDotNet.Attributes;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;

namespace CastingDefects.ML.Benchmarks;

/// <summary>
/// Training throughput: one epoch of the paper's model (gray, batch 32, Adam) over 256 images at 300x300 and at the
/// default training size 128x128. Reported per image (OperationsPerInvoke), so 1 / time is images per second.
/// Run it with <c>MALLOC_ARENA_MAX=1</c> in the environment when in process: BenchmarkDotNet then runs it on a worker
/// thread, whose glibc heap maps every activation above 64 MB afresh (see <c>NativeMathSettings</c>).
/// </summary>
[MemoryDiagnoser]
public class TrainingThroughputBenchmarks
{
    private const int Images = 256;
    private ImageTensorData _data = null!;

    [Params(300, 128)]
    public int ImageSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        var pixels = new float[Images * ImageSize * ImageSize];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (float)random.NextDouble();
        _data = ImageTensorData.FromArrays(new TensorShape(1, ImageSize, ImageSize), pixels, Enumerable.Range(0, Images).Select(i => i % 2 == 0).ToArray());
    }

    [Benchmark(OperationsPerInvoke = Images, Description = "one epoch, per image")]
    public void Epoch()
    {
        using var model = CastingArchitectures.Paper(grayscale: true, ImageSize);
        model.Fit(_data, epochs: 1, batchSize: 32);
    }
}
