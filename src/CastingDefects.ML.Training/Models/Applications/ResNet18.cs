using CastingDefects.ML.Training.Layers;
using static CastingDefects.ML.Training.Models.Applications.KerasApplications;

namespace CastingDefects.ML.Training.Models.Applications;

/// <summary>
/// ResNet18 (He et al. 2016) without its top, in torchvision's layout and with torchvision's layer names (conv1,
/// bn1, layer1.0.conv1, layer2.0.downsample.0, …) so that a torchvision state dict loads by name. Keras has no
/// ResNet18; counted as Keras counts (moving statistics included): 11,186,112 parameters, 9,600 non-trainable.
/// Output: 512 feature maps at 1/32 of the input size. <see cref="PretrainedResNet18"/> loads the ImageNet weights
/// that ship in Microsoft.ML.DnnImageFeaturizer.ResNet18.
/// </summary>
public static class ResNet18
{
    /// <summary>
    /// Builds the backbone for (channels, height, width) inputs; <paramref name="blocksPerStage"/> defaults to
    /// ResNet18's (2, 2, 2, 2). (The pretrained ONNX model in Microsoft.ML.DnnImageFeaturizer.ResNet18, from CNTK, has
    /// (2, 2, 2, 3).)
    /// </summary>
    public static Functional Create(int channels = 3, int height = 224, int width = 224, IReadOnlyList<int>? blocksPerStage = null)
    {
        blocksPerStage ??= [2, 2, 2, 2];
        if (blocksPerStage.Count != 4 || blocksPerStage.Any(b => b < 1))
            throw new ArgumentException("ResNet18 has four stages of at least one block each.", nameof(blocksPerStage));
        var input = Input(channels, height, width, "ResNet18");
        var x = Stages(input, blocksPerStage, 4)[^1];
        return new Functional(input, x, blocksPerStage.SequenceEqual([2, 2, 2, 2]) ? "resnet18" : $"resnet_{string.Join("_", blocksPerStage)}");
    }

    /// <summary>
    /// The stem and the first <paramref name="stages"/> stages on <paramref name="input"/>, with torchvision's layer
    /// names; returns each stage's output (1/4, 1/8, 1/16 and 1/32 of the input size). The anomaly detector taps them.
    /// </summary>
    internal static IReadOnlyList<KerasTensor> Stages(KerasTensor input, IReadOnlyList<int> blocksPerStage, int stages)
    {
        var x = new ZeroPadding2D(3).WithName("conv1_pad").Call(input);
        x = new Conv2D(64, 7, strides: 2, useBias: false).WithName("conv1").Call(x);
        x = Bn("bn1", x);
        x = new ActivationLayer(Activation.ReLU).WithName("relu").Call(x);
        x = new ZeroPadding2D(1).WithName("maxpool_pad").Call(x); // after ReLU, zero padding equals torchvision's -inf padding
        x = new MaxPooling2D(3, strides: 2).WithName("maxpool").Call(x);
        var outputs = new List<KerasTensor>();
        for (int stage = 1; stage <= stages; stage++)
        {
            x = Stage(x, stage, blocksPerStage[stage - 1]);
            outputs.Add(x);
        }
        return outputs;
    }

    /// <summary>
    /// Stage <paramref name="stage"/> (1 to 4: 64, 128, 256, 512 filters; stages after the first halve the grid) of
    /// <paramref name="blocks"/> basic blocks on <paramref name="x"/>, named <c>layer{stage}.{block}…</c>. Fine-tuning
    /// builds the last stage alone on cached features of the third.
    /// </summary>
    internal static KerasTensor Stage(KerasTensor x, int stage, int blocks)
    {
        int filters = 64 << (stage - 1);
        for (int block = 0; block < blocks; block++)
            x = BasicBlock(x, filters, stride: stage > 1 && block == 0 ? 2 : 1, $"layer{stage}.{block}");
        return x;
    }

    private static KerasTensor BasicBlock(KerasTensor x, int filters, int stride, string name)
    {
        var shortcut = x;
        if (stride != 1 || x.Shape.Channels != filters)
        {
            shortcut = new Conv2D(filters, 1, strides: stride, useBias: false).WithName(name + ".downsample.0").Call(x);
            shortcut = Bn(name + ".downsample.1", shortcut);
        }
        var y = new ZeroPadding2D(1).WithName(name + ".conv1_pad").Call(x);
        y = new Conv2D(filters, 3, strides: stride, useBias: false).WithName(name + ".conv1").Call(y);
        y = Bn(name + ".bn1", y);
        y = new ActivationLayer(Activation.ReLU).WithName(name + ".relu1").Call(y);
        y = new ZeroPadding2D(1).WithName(name + ".conv2_pad").Call(y);
        y = new Conv2D(filters, 3, useBias: false).WithName(name + ".conv2").Call(y);
        y = Bn(name + ".bn2", y);
        y = new Add().WithName(name + ".add").Call(shortcut, y);
        return new ActivationLayer(Activation.ReLU).WithName(name + ".relu2").Call(y);
    }

    private static KerasTensor Bn(string name, KerasTensor x) => new BatchNormalization(momentum: 0.9, epsilon: 1e-5).WithName(name).Call(x);
}
