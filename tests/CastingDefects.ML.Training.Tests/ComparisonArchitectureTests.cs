using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;
using CastingDefects.ML.Training.Models.Applications;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using Tensor = TorchSharp.torch.Tensor;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Tests;

public class ComparisonArchitectureTests
{
    // The paper's Table 1 (Keras, RGB, two-neuron softmax head): total / trainable / non-trainable.
    [Theory]
    [InlineData("mobilenetv2", 2_260_546, 2_226_434, 34_112)]
    [InlineData("nasnetmobile", 4_271_830, 4_235_092, 36_738)]
    [InlineData("resnet50", 23_591_810, 23_538_690, 53_120)]
    public void Comparison_networks_match_the_papers_table_1_with_a_softmax2_head(string name, long total, long trainable, long nonTrainable)
    {
        var model = CastingArchitectures.Create(name, grayscale: false, imageSize: 224, head: HeadKind.Softmax2);
        var counts = model.CountParameters();
        Assert.Equal((total, trainable, nonTrainable), (counts.Total, counts.Trainable, counts.NonTrainable));
        // The library's default head is one sigmoid unit: F + 1 parameters instead of 2F + 2.
        int features = ((Functional)model.Layers[0]).OutputTensor.Shape.Channels;
        var sigmoid = CastingArchitectures.Create(name, grayscale: false, imageSize: 224).CountParameters();
        Assert.Equal(total - features - 1, sigmoid.Total);
    }

    [Fact]
    public void ResNet18_counts_equal_torchvisions_plus_the_moving_statistics()
    {
        var model = CastingArchitectures.Create("resnet18", grayscale: false, imageSize: 224, head: HeadKind.Softmax2);
        var counts = model.CountParameters();
        // torchvision.models.resnet18(): 11,689,512 parameters with its 1000-class fc (513,000); Keras also counts the
        // 4,800 BatchNorm channels' moving mean and variance.
        Assert.Equal(11_689_512 - 513_000 + 1026, counts.Trainable);
        Assert.Equal(9_600, counts.NonTrainable);
        Assert.Equal(counts.Trainable, model.Module.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Summary_shows_the_backbone_as_one_functional_row_like_keras()
    {
        var model = CastingArchitectures.Create("mobilenetv2", grayscale: false, imageSize: 224, head: HeadKind.Softmax2);
        string summary = model.Summary();
        Assert.Contains("mobilenetv2_1.00_224 (Functional)", summary);
        Assert.Contains("(None, 1280, 7, 7)", summary);
        Assert.Contains("Total params: 2,260,546", summary);
        var backbone = (Functional)model.Layers[0];
        string inner = backbone.Summary();
        Assert.Contains("block_16_project_BN (BatchNormalization)", inner);
        Assert.Contains("block_15_add (Add)", inner);
        Assert.Contains("block_14_add, block_15_project_BN", inner);
    }

    [Theory]
    [InlineData("mobilenetv2", 64)]
    [InlineData("nasnetmobile", 47)]
    [InlineData("resnet50", 64)]
    [InlineData("resnet18", 57)]
    public void Exported_onnx_matches_torchsharp(string name, int size)
    {
        using var model = CastingArchitectures.Create(name, grayscale: true, imageSize: size);
        model.Build(seed: 3);
        RandomiseBatchNorm(model);
        // Three inputs of different brightness and contrast, so that even a randomly initialised deep network tells them apart.
        var x = rand(3, 1, size, size, generator: new Generator(5)) * tensor(new[] { 0.2f, 1f, 3f }).reshape(3, 1, 1, 1);
        float[] expected = Predict(model, x);
        float[] actual = RunOnnx(model.ToOnnx(), x);
        for (int i = 0; i < expected.Length; i++) Assert.InRange(actual[i], expected[i] - 2e-4f, expected[i] + 2e-4f);
        Assert.True(expected.Max() - expected.Min() > 1e-6, "different inputs should give different probabilities");
    }

    [Fact]
    public void Frozen_layers_count_as_non_trainable_and_do_not_change_in_training()
    {
        using var model = CastingArchitectures.Create("resnet18", grayscale: true, imageSize: 32);
        var backbone = (Functional)model.Layers[0];
        backbone.FreezeUpTo("layer4.0.conv1");
        var counts = model.CountParameters();
        long layer4 = backbone.Layers.SkipWhile(l => l.Name != "layer4.0.conv1_pad").Sum(l => l is MergeLayer ? 0 : l.TrainableParameters(ShapeOf(backbone, l)));
        Assert.Equal(layer4 + 513, counts.Trainable);

        var data = ToyData.Blobs(16, size: 32, seed: 1);
        model.Build(seed: 1);
        var graph = (GraphModule)model.Module.Blocks[0];
        var conv1 = ((Conv2D.Conv2DModule)graph.ModuleOf("conv1")).Conv.weight!.clone();
        var bn1 = ((TorchSharp.Modules.BatchNorm2d)graph.ModuleOf("bn1")).running_mean!.clone();
        var last = ((Conv2D.Conv2DModule)graph.ModuleOf("layer4.1.conv2")).Conv.weight!.clone();
        model.Fit(data, epochs: 1, batchSize: 8);
        Assert.Equal(0f, MaxDifference(conv1, ((Conv2D.Conv2DModule)graph.ModuleOf("conv1")).Conv.weight!));
        Assert.Equal(0f, MaxDifference(bn1, ((TorchSharp.Modules.BatchNorm2d)graph.ModuleOf("bn1")).running_mean!));
        Assert.True(MaxDifference(last, ((Conv2D.Conv2DModule)graph.ModuleOf("layer4.1.conv2")).Conv.weight!) > 0);
    }

    private static float MaxDifference(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    internal static TensorShape ShapeOf(Functional model, Layer layer) => model.Nodes.First(n => n.Layer == layer).Inputs[0].Shape;

    internal static void RandomiseBatchNorm(Sequential model)
    {
        using var _ = no_grad();
        var g = new Generator(11);
        foreach (var bn in model.Module.modules().OfType<TorchSharp.Modules.BatchNorm2d>())
        {
            bn.running_mean!.copy_(randn(bn.running_mean.shape, generator: g) * 0.1);
            bn.running_var!.copy_(rand(bn.running_var.shape, generator: g) + 0.5);
            bn.weight!.copy_(rand(bn.weight.shape, generator: g) + 0.5);
            bn.bias!.copy_(randn(bn.bias.shape, generator: g) * 0.1);
        }
    }

    internal static float[] Predict(Sequential model, Tensor x)
    {
        model.Module.eval();
        using var _ = no_grad();
        return model.Probabilities(model.Module.forward(x)).data<float>().ToArray();
    }

    internal static float[] RunOnnx(byte[] onnx, Tensor x)
    {
        using var session = new InferenceSession(onnx);
        var input = new DenseTensor(x.data<float>().ToArray(), x.shape.Select(d => (int)d).ToArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("Features", input)]);
        return results.First(r => r.Name == "onnx_probability").AsEnumerable<float>().ToArray();
    }
}
