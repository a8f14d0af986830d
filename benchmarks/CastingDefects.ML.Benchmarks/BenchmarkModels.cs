using CastingDefects.ML.Benchmarking;
using CastingDefects.ML.Training.Models;

namespace CastingDefects.ML.Benchmarks;

/// <summary>Models for latency benchmarks: latency does not depend on the weights, so untrained networks do.</summary>
public static class BenchmarkModels
{
    private static readonly Dictionary<string, (Sequential Network, byte[] Onnx)> Cache = new();

    /// <summary>The network and its ONNX export at the benchmark size (300x300, as the paper).</summary>
    public static (Sequential Network, byte[] Onnx) Get(string name, int imageSize = 300)
    {
        string key = $"{name}@{imageSize}";
        lock (Cache)
        {
            if (!Cache.TryGetValue(key, out var entry)) Cache[key] = entry = LatencyBenchmark.Build(name, imageSize);
            return entry;
        }
    }

    /// <summary>The ONNX bytes of a model.</summary>
    public static byte[] Onnx(string name, int imageSize = 300) => Get(name, imageSize).Onnx;

    public static float[] RandomInput(int count, int channels, int size, int seed = 1)
    {
        var random = new Random(seed);
        var data = new float[count * channels * size * size];
        for (int i = 0; i < data.Length; i++) data[i] = (float)random.NextDouble();
        return data;
    }
}
