using CastingDefects.ML.Training.Layers;
using static CastingDefects.ML.Training.Models.Applications.KerasApplications;

namespace CastingDefects.ML.Training.Models.Applications;

/// <summary>
/// ResNet50 (He et al. 2016, v1) without its top, as <c>keras.applications.ResNet50(include_top=False)</c>: the same
/// layers, names and parameter counts (23,587,712 parameters, 53,120 of them BatchNormalization moving statistics).
/// Output: 2048 feature maps at 1/32 of the input size.
/// </summary>
public static class ResNet50
{
    /// <summary>Builds the backbone for (channels, height, width) inputs.</summary>
    public static Functional Create(int channels = 3, int height = 224, int width = 224)
    {
        var input = Input(channels, height, width, "ResNet50");
        var x = new ZeroPadding2D(3).WithName("conv1_pad").Call(input);
        x = new Conv2D(64, 7, strides: 2).WithName("conv1_conv").Call(x);
        x = Bn("conv1_bn", x);
        x = new ActivationLayer(Activation.ReLU).WithName("conv1_relu").Call(x);
        x = new ZeroPadding2D(1).WithName("pool1_pad").Call(x);
        x = new MaxPooling2D(3, strides: 2).WithName("pool1_pool").Call(x);
        x = Stack(x, 64, 3, firstStride: 1, "conv2");
        x = Stack(x, 128, 4, firstStride: 2, "conv3");
        x = Stack(x, 256, 6, firstStride: 2, "conv4");
        x = Stack(x, 512, 3, firstStride: 2, "conv5");
        return new Functional(input, x, "resnet50");
    }

    private static KerasTensor Stack(KerasTensor x, int filters, int blocks, int firstStride, string name)
    {
        x = Block(x, filters, firstStride, convShortcut: true, $"{name}_block1");
        for (int i = 2; i <= blocks; i++) x = Block(x, filters, 1, convShortcut: false, $"{name}_block{i}");
        return x;
    }

    private static KerasTensor Block(KerasTensor x, int filters, int stride, bool convShortcut, string name)
    {
        KerasTensor shortcut = x;
        if (convShortcut)
        {
            shortcut = new Conv2D(4 * filters, 1, strides: stride).WithName(name + "_0_conv").Call(x);
            shortcut = Bn(name + "_0_bn", shortcut);
        }
        var y = new Conv2D(filters, 1, strides: stride).WithName(name + "_1_conv").Call(x);
        y = Bn(name + "_1_bn", y);
        y = new ActivationLayer(Activation.ReLU).WithName(name + "_1_relu").Call(y);
        y = new Conv2D(filters, 3, padding: Padding.Same).WithName(name + "_2_conv").Call(y);
        y = Bn(name + "_2_bn", y);
        y = new ActivationLayer(Activation.ReLU).WithName(name + "_2_relu").Call(y);
        y = new Conv2D(4 * filters, 1).WithName(name + "_3_conv").Call(y);
        y = Bn(name + "_3_bn", y);
        y = new Add().WithName(name + "_add").Call(shortcut, y);
        return new ActivationLayer(Activation.ReLU).WithName(name + "_out").Call(y);
    }

    private static KerasTensor Bn(string name, KerasTensor x) => new BatchNormalization(epsilon: 1.001e-5).WithName(name).Call(x);
}
