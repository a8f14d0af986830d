using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Export;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Tests;

/// <summary>
/// A layer written outside the library, as a Keras user subclasses <c>Layer</c>: a learnable per-channel scale and
/// shift. It trains, summarises and exports with the library's own layers.
/// </summary>
public sealed class ChannelScale : Layer
{
    /// <inheritdoc />
    public override string KerasType => "ChannelScale";

    /// <inheritdoc />
    public override TensorShape OutputShape(TensorShape input) => input;

    /// <inheritdoc />
    public override long TrainableParameters(TensorShape input) => 2L * input.Channels;

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build(TensorShape input) => new ScaleModule(Name, input.Channels);

    /// <inheritdoc />
    public override string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module)
    {
        var m = (ScaleModule)module;
        long[] dims = inputShape.IsImage ? [inputShape.Channels, 1, 1] : [inputShape.Channels];
        string scale = graph.Initializer(Name + "_scale", m.scale.data<float>().ToArray(), dims);
        string shift = graph.Initializer(Name + "_shift", m.shift.data<float>().ToArray(), dims);
        return graph.Node("Add", [graph.Node("Mul", [input, scale]), shift], graph.Unique(Name));
    }

    private sealed class ScaleModule : nn.Module<Tensor, Tensor>
    {
#pragma warning disable IDE1006 // TorchSharp registers fields under their own names
        public readonly Parameter scale;
        public readonly Parameter shift;
#pragma warning restore IDE1006

        public ScaleModule(string name, int channels) : base(name)
        {
            scale = nn.Parameter(ones(channels));
            shift = nn.Parameter(zeros(channels));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => x.dim() == 4
            ? x * scale.view(1, -1, 1, 1) + shift.view(1, -1, 1, 1)
            : x * scale + shift;
    }
}

public class CustomLayerTests
{
    [Fact]
    public void A_layer_defined_outside_the_library_trains_summarises_and_exports()
    {
        using var model = new Sequential((1, 24, 24), "custom")
            .Conv2D(8, 3, activation: Activation.ReLU)
            .Add(new ChannelScale())
            .GlobalAveragePooling2D()
            .Dense(1, Activation.Sigmoid);
        // Summary: named Keras-style, 2 x 8 parameters counted as trainable.
        Assert.Contains("channel_scale (ChannelScale)", model.Summary());
        Assert.Equal(new ParameterCounts(80 + 16 + 9, 80 + 16 + 9, 0), model.CountParameters());

        // Trains: bright-centred images against dark ones.
        var random = new Random(3);
        int n = 64, size = 24 * 24;
        var pixels = new float[n * size];
        var labels = new bool[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 2 == 0;
            for (int p = 0; p < size; p++)
            {
                int y = p / 24, x = p % 24;
                bool centre = Math.Abs(y - 12) < 5 && Math.Abs(x - 12) < 5;
                pixels[i * size + p] = MathF.Round((float)(random.NextDouble() * 0.3 + (labels[i] && centre ? 0.6 : 0)) * 255) / 255; // whole 8-bit levels, as decoded images
            }
        }
        var data = ImageTensorData.FromArrays(new TensorShape(1, 24, 24), pixels, labels);
        model.Build(seed: 1);
        var history = model.Fit(data, epochs: 15, batchSize: 16, options: new Fitting.FitOptions { LearningRate = 1e-2, Threads = 1 });
        Assert.True(history.Epochs[^1].Accuracy >= 0.9, $"training accuracy {history.Epochs[^1].Accuracy:P0}");
        var module = (nn.Module<Tensor, Tensor>)model.Module.ModuleOf("channel_scale");
        float[] scale = module.named_parameters().Single(p => p.name == "scale").parameter.data<float>().ToArray();
        Assert.Contains(scale, s => Math.Abs(s - 1f) > 1e-3); // its weights trained
        // Its weights take part in state dicts (PyTorch-style keys under the layer's name) as the library's layers' do.
        var weights = Models.Weights.StateDict.Get(model);
        Assert.Equal(scale, weights["channel_scale.scale"].Values);
        Assert.Equal([8L], weights["channel_scale.shift"].Shape);
        Assert.Equal(["channel_scale.scale", "channel_scale.shift", "conv2d.bias", "conv2d.weight", "dense.bias", "dense.weight"], weights.Keys.Order());

        // Exports: ONNX Runtime gives TorchSharp's probabilities, with the Grad-CAM map beside them.
        byte[] onnx = model.ToOnnx();
        using var runtime = new CastingOnnxModel(onnx, intraOpThreads: 1);
        Assert.True(runtime.HasHeatmap);
        var expected = model.PredictProbabilities(data);
        var actual = runtime.PredictProbabilities(pixels, n);
        for (int i = 0; i < n; i++) Assert.Equal(expected[i], actual[i], 4);
    }
}
