using CastingDefects.ML.Training.Models;

namespace CastingDefects.ML.Benchmarks;

/// <summary>ONNX models for latency benchmarks: latency does not depend on the weights, so untrained networks do.</summary>
public static class BenchmarkModels
{
    public static readonly Dictionary<string, byte[]> Cache = new();

    /// <summary>The ONNX bytes of an architecture at its benchmark size (300x300, as the paper).</summary>
    public static byte[] Onnx(string name, int imageSize = 300)
    {
        string key = $"{name}@{imageSize}";
        lock (Cache)
        {
            if (Cache.TryGetValue(key, out var bytes)) return bytes;
            using var model = name switch
            {
                "paper" => CastingArchitectures.Paper(grayscale: false, imageSize),
                "paper-gray" => CastingArchitectures.Paper(grayscale: true, imageSize),
                _ => throw new ArgumentException($"unknown model {name}"),
            };
            model.Build(seed: 1);
            return Cache[key] = model.ToOnnx();
        }
    }

    public static float[] RandomInput(int count, int channels, int size, int seed = 1)
    {
        var random = new Random(seed);
        var data = new float[count * channels * size * size];
        for (int i = 0; i < data.Length; i++) data[i] = (float)random.NextDouble();
        return data;
    }
}
