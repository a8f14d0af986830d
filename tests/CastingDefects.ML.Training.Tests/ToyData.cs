using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Layers;

namespace CastingDefects.ML.Training.Tests;

/// <summary>Small in-memory image sets with a learnable signal: defects carry a bright 3x3 blob on a noisy background.</summary>
public static class ToyData
{
    public static ImageTensorData Blobs(int count, int size = 24, int seed = 1, bool invertLabels = false)
    {
        var random = new Random(seed);
        var pixels = new float[count * size * size];
        var labels = new bool[count];
        for (int n = 0; n < count; n++)
        {
            labels[n] = n % 2 == 0;
            int offset = n * size * size;
            for (int i = 0; i < size * size; i++) pixels[offset + i] = 0.3f + (float)random.NextDouble() * 0.2f;
            if (labels[n])
            {
                int cx = random.Next(2, size - 3), cy = random.Next(2, size - 3);
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) pixels[offset + (cy + dy) * size + cx + dx] = 1f;
            }
        }
        return ImageTensorData.FromArrays(new TensorShape(1, size, size), pixels, invertLabels ? labels.Select(l => !l).ToArray() : labels);
    }
}
