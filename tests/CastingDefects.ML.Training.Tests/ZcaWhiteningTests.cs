using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Tests;

public class ZcaWhiteningTests
{
    /// <summary>Images with strongly correlated neighbouring pixels (smooth blobs plus a little noise).</summary>
    private static ImageTensorData Smooth(int count, int size = 20, int seed = 1)
    {
        var random = new Random(seed);
        var pixels = new float[count * size * size];
        for (int n = 0; n < count; n++)
        {
            double cx = random.Next(size), cy = random.Next(size), r = 3 + random.NextDouble() * 5;
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                    pixels[(n * size + y) * size + x] = (float)(0.3 + 0.5 * Math.Exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * r * r)) + random.NextDouble() * 0.02);
        }
        return ImageTensorData.FromArrays(new TensorShape(1, size, size), pixels, Enumerable.Range(0, count).Select(i => i % 2 == 0).ToArray());
    }

    [Fact]
    public void Fitted_whitening_gives_unit_variance_and_decorrelates_neighbours()
    {
        var data = Smooth(200);
        var zca = ZcaWhitening.Fit(data, patchSize: 5, epsilon: 1e-6, samples: 8000, seed: 3);
        Assert.Equal(25, zca.Kernel.Count);
        using var model = new Sequential((1, 20, 20), "zca").Add(zca).GlobalAveragePooling2D().Dense(1, Activation.Sigmoid);
        model.Build(1);
        using var scope = NewDisposeScope();
        var (x, _) = data.Batch(Enumerable.Range(0, 200).ToArray());
        var raw = x[.., 0, 4..16, 4..16];                               // away from the zero-padded border
        var white = model.Module.Blocks[0].forward(x)[.., 0, 4..16, 4..16];
        double Correlation(Tensor t)
        {
            var a = t[.., .., ..^1].flatten(); var b = t[.., .., 1..].flatten();
            a = a - a.mean(); b = b - b.mean();
            return ((a * b).mean() / (a.std(false) * b.std(false))).item<float>();
        }
        Assert.True(Correlation(raw) > 0.9, $"raw neighbour correlation {Correlation(raw):F3}");
        Assert.InRange(Math.Abs(Correlation(white)), 0, 0.2);
        Assert.InRange(white.std().item<float>(), 0.8f, 1.2f);
        Assert.InRange(white.mean().item<float>(), -0.2f, 0.2f);
    }

    [Fact]
    public void Zca_layer_is_frozen_counted_non_trainable_and_exports_with_parity()
    {
        var data = Smooth(50, size: 64);
        var zca = ZcaWhitening.Fit(data, patchSize: 3, samples: 2000);
        using var model = CastingArchitectures.Paper(grayscale: true, imageSize: 64).Prepend(zca);
        var counts = model.CountParameters();
        Assert.Equal(5577 + 10, counts.Total);
        Assert.Equal(5513, counts.Trainable);
        Assert.Equal("zca_whitening", model.Layers[0].Name);
        model.Fit(data, epochs: 1, batchSize: 10);
        var weights = model.Module.Blocks[0].parameters().First().data<float>().ToArray();
        Assert.Equal(zca.Kernel, weights); // unchanged by training
        OnnxParityTests.AssertParity(model, model.ToOnnx(), batch: 3);
    }
}

public class NormalizationTests
{
    [Fact]
    public void Adapted_normalization_standardises_each_channel_and_folds_into_the_first_conv()
    {
        var random = new Random(2);
        int n = 40, size = 16;
        var pixels = new float[n * 3 * size * size];
        for (int i = 0; i < pixels.Length; i++)
        {
            int channel = i / (size * size) % 3;
            pixels[i] = (float)(0.2 * channel + 0.1 + random.NextDouble() * (0.1 + 0.2 * channel));
        }
        var data = ImageTensorData.FromArrays(new TensorShape(3, size, size), pixels, Enumerable.Range(0, n).Select(i => i % 2 == 0).ToArray());
        var norm = Normalization.Adapt(data);
        Assert.Equal(0.15f, norm.Mean[0], 2);
        Assert.Equal(0.75f, norm.Mean[2], 2);
        Assert.Equal(0.1 * 0.1 / 12, norm.Variance[0], 3);
        using var model = new Sequential((3, size, size), "norm").Add(norm).Conv2D(4, 3, activation: Activation.ReLU)
            .GlobalAveragePooling2D().Dense(1, Activation.Sigmoid);
        Assert.Equal(7, model.CountParameters().NonTrainable);
        model.Build(1);
        using (var scope = NewDisposeScope())
        {
            var (x, _) = data.Batch(Enumerable.Range(0, n).ToArray());
            var y = model.Module.Blocks[0].forward(x);
            for (int ch = 0; ch < 3; ch++)
            {
                Assert.InRange(y[.., ch].mean().item<float>(), -0.01f, 0.01f);
                Assert.InRange(y[.., ch].std().item<float>(), 0.98f, 1.02f);
            }
        }
        var onnx = model.ToOnnx();
        Assert.DoesNotContain(Onnx.ModelProto.Parser.ParseFrom(onnx).Graph.Node, node => node.OpType is "Mul" or "Add");
        OnnxParityTests.AssertParity(model, onnx, batch: 4);
    }
}
