using CastingDefects.ML.Training.Layers;
using static CastingDefects.ML.Training.Models.Applications.KerasApplications;

namespace CastingDefects.ML.Training.Models.Applications;

/// <summary>
/// MobileNetV2 (Sandler et al. 2018) without its top, as <c>keras.applications.MobileNetV2(include_top=False)</c>:
/// layer for layer, the same names and the same parameter counts (alpha 1.0: 2,257,984 parameters, 34,112 of them
/// BatchNormalization moving statistics). Output: 1280 feature maps at 1/32 of the input size.
/// </summary>
public static class MobileNetV2
{
    /// <summary>Builds the backbone for (channels, height, width) inputs.</summary>
    public static Functional Create(int channels = 3, int height = 224, int width = 224, double alpha = 1.0)
    {
        if (alpha <= 0) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be positive.");
        var input = Input(channels, height, width, "MobileNetV2");
        int firstFilters = MakeDivisible(32 * alpha);
        var x = CorrectPad(input.Shape, 3).WithName("Conv1_pad").Call(input);
        x = new Conv2D(firstFilters, 3, strides: 2, useBias: false).WithName("Conv1").Call(x);
        x = Bn("bn_Conv1", x);
        x = new ActivationLayer(Activation.ReLU6).WithName("Conv1_relu").Call(x);

        (int Filters, int Stride, int Expansion)[] blocks =
        [
            (16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6),
            (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6),
            (160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6),
        ];
        for (int id = 0; id < blocks.Length; id++)
            x = InvertedResidual(x, blocks[id].Expansion, blocks[id].Stride, alpha, blocks[id].Filters, id);

        int lastFilters = alpha > 1.0 ? MakeDivisible(1280 * alpha) : 1280;
        x = new Conv2D(lastFilters, 1, useBias: false).WithName("Conv_1").Call(x);
        x = Bn("Conv_1_bn", x);
        x = new ActivationLayer(Activation.ReLU6).WithName("out_relu").Call(x);
        return new Functional(input, x, $"mobilenetv2_{alpha:0.00}_{Math.Max(height, width)}".Replace(',', '.'));
    }

    private static KerasTensor InvertedResidual(KerasTensor inputs, int expansion, int stride, double alpha, int filters, int blockId)
    {
        int inChannels = inputs.Shape.Channels;
        int pointwiseFilters = MakeDivisible((int)(filters * alpha));
        string prefix = $"block_{blockId}_";
        var x = inputs;
        if (blockId > 0)
        {
            x = new Conv2D(expansion * inChannels, 1, padding: Padding.Same, useBias: false).WithName(prefix + "expand").Call(x);
            x = Bn(prefix + "expand_BN", x);
            x = new ActivationLayer(Activation.ReLU6).WithName(prefix + "expand_relu").Call(x);
        }
        else prefix = "expanded_conv_";
        if (stride == 2) x = CorrectPad(x.Shape, 3).WithName(prefix + "pad").Call(x);
        x = new Conv2D(x.Shape.Channels, 3, strides: stride, padding: stride == 1 ? Padding.Same : Padding.Valid, groups: x.Shape.Channels, useBias: false)
            .WithName(prefix + "depthwise").Call(x);
        x = Bn(prefix + "depthwise_BN", x);
        x = new ActivationLayer(Activation.ReLU6).WithName(prefix + "depthwise_relu").Call(x);
        x = new Conv2D(pointwiseFilters, 1, padding: Padding.Same, useBias: false).WithName(prefix + "project").Call(x);
        x = Bn(prefix + "project_BN", x);
        if (inChannels == pointwiseFilters && stride == 1)
            return new Add().WithName(prefix + "add").Call(inputs, x);
        return x;
    }

    private static KerasTensor Bn(string name, KerasTensor x) => new BatchNormalization(momentum: 0.999, epsilon: 1e-3).WithName(name).Call(x);
}
