using BenchmarkDotNet.Attributes;
using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Synthetic;

namespace CastingDefects.ML.Benchmarks;

/// <summary>
/// JPEG on disk to verdict with the public API: one image (ONNX Runtime, one thread), a folder of images
/// (<see cref="CastingOnnxModel.PredictFiles"/>, all cores), and the preprocessing alone (decode + resize + grayscale +
/// pixels) over a folder on all cores. Uses --data DIR when given (env
/// CASTING_BENCH_DATA), else 300x300 synthetic castings.
/// </summary>
[MemoryDiagnoser]
public class EndToEndBenchmarks
{
    private CastingOnnxModel _model = null!;
    private CastingOnnxModel _allCores = null!;
    private string[] _files = null!;
    private int _next;

    [Params(300, 128)] // the paper's size and the library's default training size
    public int ImageSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _model = new CastingOnnxModel(BenchmarkModels.Onnx("paper-gray", ImageSize), intraOpThreads: 1);
        _allCores = new CastingOnnxModel(BenchmarkModels.Onnx("paper-gray", ImageSize), intraOpThreads: Environment.ProcessorCount);
        _files = BenchmarkData.Files(512);
    }

    [Benchmark(Description = "JPEG file -> verdict, 1 image, 1 thread")]
    public CastingVerdict SingleImage() => _model.Predict(_files[_next++ % _files.Length]);

    [Benchmark(Description = "preprocess 512 JPEGs, all cores", OperationsPerInvoke = 512)]
    public void PreprocessFolder()
    {
        var options = _model.Image;
        Parallel.ForEach(_files, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            () => new float[options.FeatureLength],
            (file, _, buffer) => { CastingImagePreprocessor.Load(file, options, buffer); return buffer; },
            _ => { });
    }

    [Benchmark(Description = "folder of 512 JPEGs -> verdicts, all cores", OperationsPerInvoke = 512)]
    public IReadOnlyList<FilePrediction> PredictFolder() => _allCores.PredictFiles(_files, batchSize: 64);

    [GlobalCleanup]
    public void Cleanup()
    {
        _model.Dispose();
        _allCores.Dispose();
    }
}

/// <summary>Images for the end-to-end benchmarks.</summary>
public static class BenchmarkData
{
    public static string[] Files(int count)
    {
        string? real = Environment.GetEnvironmentVariable("CASTING_BENCH_DATA");
        if (real is not null && Directory.Exists(real))
            return Directory.EnumerateFiles(real, "*", SearchOption.AllDirectories).Where(ImageProbe.HasImageExtension).Order(StringComparer.Ordinal).Take(count).ToArray();
        string folder = Path.Combine(Path.GetTempPath(), "casting-defects-bench-synthetic");
        if (!Directory.Exists(folder))
            SyntheticCastingGenerator.Generate(folder, new SyntheticCastingOptions { DefectiveCount = count / 2, GoodCount = count - count / 2, Seed = 3 });
        return Directory.EnumerateFiles(folder, "*.jpeg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(count).ToArray();
    }
}
