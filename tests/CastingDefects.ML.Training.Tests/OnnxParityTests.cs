using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Tests;

public class OnnxParityTests
{
    [Fact]
    public void Paper_model_exports_with_every_batchnorm_folded_and_matches_torchsharp()
    {
        using var model = CastingArchitectures.Paper(grayscale: true, imageSize: 64);
        model.Build(seed: 3);
        RandomiseBatchNorm(model, positiveScale: true);
        var onnx = model.ToOnnx(heatmap: false); // the heatmap's own Mul nodes would hide an unfolded BatchNormalization
        var graph = Onnx.ModelProto.Parser.ParseFrom(onnx).Graph;
        Assert.DoesNotContain(graph.Node, n => n.OpType is "BatchNormalization" or "Mul" or "Add");
        Assert.Equal(5, graph.Node.Count(n => n.OpType == "Conv"));
        AssertParity(model, onnx, batch: 5);
    }

    /// <summary>
    /// Parity on real images: the Kaggle training images when ../shared/data is there (a few, read in place), else
    /// synthetic castings, preprocessed exactly as in deployment.
    /// </summary>
    [Fact]
    public void Trained_paper_model_matches_on_real_casting_images()
    {
        using var dir = new TempDir();
        var options = CastingDefects.ML.Data.CastingImageOptions.Square(128);
        string? real = FindSharedData();
        string[] files = real is not null
            ? Directory.GetFiles(Path.Combine(real, "def_front")).Order(StringComparer.Ordinal).Take(4)
                .Concat(Directory.GetFiles(Path.Combine(real, "ok_front")).Order(StringComparer.Ordinal).Take(4)).ToArray()
            : SyntheticFiles(dir);
        var pixels = files.SelectMany(f => CastingDefects.ML.Data.CastingImagePreprocessor.Load(f, options)).ToArray();
        var data = CastingDefects.ML.Training.Data.ImageTensorData.FromArrays(new TensorShape(1, 128, 128), pixels,
            files.Select(f => f.Contains("def_front")).ToArray());
        using var model = CastingArchitectures.Paper(grayscale: true, imageSize: 128);
        model.Fit(data, epochs: 2, batchSize: 4); // real BatchNorm statistics from real images
        AssertParity(model, model.ToOnnx(), batch: files.Length, pixels);
    }

    private static string? FindSharedData()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "shared", "data", "casting", "train");
            if (Directory.Exists(Path.Combine(candidate, "def_front")) && Directory.Exists(Path.Combine(candidate, "ok_front"))) return candidate;
        }
        return null;
    }

    private static string[] SyntheticFiles(TempDir dir)
    {
        CastingDefects.ML.Synthetic.SyntheticCastingGenerator.Generate(dir.Combine("syn"),
            new CastingDefects.ML.Synthetic.SyntheticCastingOptions { DefectiveCount = 4, GoodCount = 4 });
        return Directory.GetFiles(dir.Combine("syn"), "*.jpeg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
    }

    [Fact]
    public void Negative_batchnorm_scales_before_max_pooling_stay_exact()
    {
        using var model = CastingArchitectures.Paper(grayscale: false, imageSize: 64);
        model.Build(seed: 4);
        RandomiseBatchNorm(model, positiveScale: false);
        AssertParity(model, model.ToOnnx(), batch: 3);
    }

    [Fact]
    public void Softmax_head_backward_fold_same_padding_groups_and_padding_layers_match()
    {
        using var model = new Sequential((3, 33, 31), "mixed")
            .Conv2D(8, 3, strides: 2, padding: Padding.Same, useBias: false).BatchNormalization().Activation(Activation.ReLU6)
            .AveragePooling2D(2, padding: Padding.Same)
            .Conv2D(8, 3, groups: 8, padding: Padding.Same, activation: Activation.ReLU)
            .ZeroPadding2D(1)
            .Conv2D(6, 1, activation: Activation.ReLU).BatchNormalization()
            .GlobalMaxPooling2D().Dropout(0.3)
            .Dense(2, Activation.Softmax);
        model.Build(seed: 5);
        RandomiseBatchNorm(model, positiveScale: true);
        var onnx = model.ToOnnx();
        var graph = Onnx.ModelProto.Parser.ParseFrom(onnx).Graph;
        Assert.DoesNotContain(graph.Node, n => n.OpType is "BatchNormalization" or "Dropout");
        AssertParity(model, onnx, batch: 4);
    }

    [Fact]
    public void Flatten_after_batchnorm_folds_into_dense()
    {
        using var model = new Sequential((1, 12, 12), "flat")
            .Conv2D(4, 3, activation: Activation.ReLU).BatchNormalization().MaxPooling2D(2).Flatten()
            .Dense(8, Activation.ReLU).Dense(1, Activation.Sigmoid);
        model.Build(seed: 6);
        RandomiseBatchNorm(model, positiveScale: true);
        var onnx = model.ToOnnx();
        Assert.DoesNotContain(Onnx.ModelProto.Parser.ParseFrom(onnx).Graph.Node, n => n.OpType is "Mul" or "Add");
        AssertParity(model, onnx, batch: 6);
    }

    [Fact]
    public void Exported_model_records_its_input_and_threshold()
    {
        using var model = CastingArchitectures.Paper(grayscale: true, imageSize: 64);
        var proto = Onnx.ModelProto.Parser.ParseFrom(model.ToOnnx(threshold: 0.3f));
        var meta = proto.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("1", meta[OnnxContract.ChannelsKey]);
        Assert.Equal("64", meta[OnnxContract.WidthKey]);
        Assert.Equal("0.3", meta[OnnxContract.ThresholdKey]);
        Assert.Equal(17, proto.OpsetImport.Single().Version);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ToOnnx(threshold: 1.5f));
    }

    internal static void RandomiseBatchNorm(Sequential model, bool positiveScale)
    {
        var generator = new Random(7);
        using var _ = no_grad();
        foreach (var module in model.Module.Blocks)
        {
            if (module is not (TorchSharp.Modules.BatchNorm2d or TorchSharp.Modules.BatchNorm1d)) continue;
            var named = module.named_buffers().Concat(module.named_parameters().Select(p => (p.name, (Tensor)p.parameter)));
            foreach (var (name, t) in named)
            {
                if (t.dtype != ScalarType.Float32) continue;
                var values = Enumerable.Range(0, (int)t.numel()).Select(_ => name switch
                {
                    "running_var" => (float)(0.3 + generator.NextDouble() * 2),
                    "weight" => (float)((positiveScale ? 0.4 : -1.2) + generator.NextDouble() * 1.6),
                    _ => (float)(generator.NextDouble() - 0.5),
                }).ToArray();
                t.copy_(tensor(values));
            }
        }
    }

    internal static void AssertParity(Sequential model, byte[] onnx, int batch, float[]? pixels = null)
    {
        var shape = model.InputShape;
        var input = pixels ?? new float[batch * shape.Size];
        var random = new Random(11);
        if (pixels is null) for (int i = 0; i < input.Length; i++) input[i] = (float)random.NextDouble();

        model.Module.eval();
        float[] expectedProbability, expectedScore;
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            var logits = model.Module.forward(tensor(input, [batch, shape.Channels, shape.Height, shape.Width]));
            expectedProbability = model.Probabilities(logits).data<float>().ToArray();
            expectedScore = (model.Head == HeadKind.Sigmoid1 ? logits.reshape(-1) : logits.select(1, 1) - logits.select(1, 0)).data<float>().ToArray();
        }

        using var session = new InferenceSession(onnx);
        var feed = new DenseTensor(input, [batch, shape.Channels, shape.Height, shape.Width]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxContract.InputName, feed)]);
        var probability = results.Single(r => r.Name == OnnxContract.ProbabilityName).AsEnumerable<float>().ToArray();
        var score = results.Single(r => r.Name == OnnxContract.LogitName).AsEnumerable<float>().ToArray();
        var decision = results.Single(r => r.Name == OnnxContract.DecisionName).AsEnumerable<float>().ToArray();
        Assert.Equal(batch, probability.Length);
        for (int i = 0; i < batch; i++)
        {
            Assert.True(Math.Abs(expectedProbability[i] - probability[i]) <= 1e-4, $"probability {i}: torch {expectedProbability[i]} onnx {probability[i]}");
            Assert.True(Math.Abs(expectedScore[i] - score[i]) <= 1e-4 * Math.Max(1, Math.Abs(expectedScore[i])), $"score {i}: torch {expectedScore[i]} onnx {score[i]}");
            Assert.Equal(probability[i] >= 0.5f ? 1f : 0f, decision[i]);
        }
    }
}
