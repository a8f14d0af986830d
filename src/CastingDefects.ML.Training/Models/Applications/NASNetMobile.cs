using CastingDefects.ML.Training.Layers;
using static CastingDefects.ML.Training.Models.Applications.KerasApplications;

namespace CastingDefects.ML.Training.Models.Applications;

/// <summary>
/// NASNet-A Mobile, 4 @ 1056 (Zoph et al. 2018), without its top, as <c>keras.applications.NASNetMobile(include_top=False)</c>:
/// stem, two stem reduction cells, then three groups of four normal cells separated by reduction cells, with Keras's
/// cell wiring, names and parameter counts (4,269,716 parameters, 36,738 of them BatchNormalization moving
/// statistics). Output: 1056 feature maps at 1/32 of the input size.
/// </summary>
public static class NASNetMobile
{
    private const int PenultimateFilters = 1056, Blocks = 4, StemFilters = 32, Multiplier = 2;

    /// <summary>Builds the backbone for (channels, height, width) inputs.</summary>
    public static Functional Create(int channels = 3, int height = 224, int width = 224)
    {
        var input = Input(channels, height, width, "NASNetMobile");
        int filters = PenultimateFilters / 24;
        var x = new Conv2D(StemFilters, 3, strides: 2, useBias: false).WithName("stem_conv1").Call(input);
        x = Bn("stem_bn1", x);

        KerasTensor? p = null;
        (x, p) = ReductionCell(x, p, filters / (Multiplier * Multiplier), "stem_1");
        (x, p) = ReductionCell(x, p, filters / Multiplier, "stem_2");
        for (int i = 0; i < Blocks; i++) (x, p) = NormalCell(x, p, filters, $"{i}");
        (x, p) = ReductionCell(x, p, filters * Multiplier, $"reduce_{Blocks}"); // NASNet-A Mobile does not skip reductions
        for (int i = 0; i < Blocks; i++) (x, p) = NormalCell(x, p, filters * Multiplier, $"{Blocks + i + 1}");
        (x, p) = ReductionCell(x, p, filters * Multiplier * Multiplier, $"reduce_{2 * Blocks}");
        for (int i = 0; i < Blocks; i++) (x, p) = NormalCell(x, p, filters * Multiplier * Multiplier, $"{2 * Blocks + i + 1}");
        x = new ActivationLayer(Activation.ReLU).Call(x);
        return new Functional(input, x, "NASNet");
    }

    private static KerasTensor Bn(string name, KerasTensor x) => new BatchNormalization(momentum: 0.9997, epsilon: 1e-3).WithName(name).Call(x);

    private static KerasTensor Relu(KerasTensor x) => new ActivationLayer(Activation.ReLU).Call(x);

    private static KerasTensor SeparableBlock(KerasTensor ip, int filters, int kernel, int strides, string id)
    {
        var x = Relu(ip);
        Padding padding = Padding.Same;
        if (strides == 2)
        {
            x = CorrectPad(x.Shape, kernel).WithName($"separable_conv_1_pad_{id}").Call(x);
            padding = Padding.Valid;
        }
        x = new SeparableConv2D(filters, kernel, strides, padding, useBias: false).WithName($"separable_conv_1_{id}").Call(x);
        x = Bn($"separable_conv_1_bn_{id}", x);
        x = Relu(x);
        x = new SeparableConv2D(filters, kernel, padding: Padding.Same, useBias: false).WithName($"separable_conv_2_{id}").Call(x);
        return Bn($"separable_conv_2_bn_{id}", x);
    }

    private static KerasTensor Adjust(KerasTensor? p, KerasTensor ip, int filters, string id)
    {
        if (p is null) return ip;
        if (p.Shape.Height != ip.Shape.Height || p.Shape.Width != ip.Shape.Width)
        {
            p = new ActivationLayer(Activation.ReLU).WithName($"adjust_relu_1_{id}").Call(p);
            var p1 = new AveragePooling2D(1, strides: 2).WithName($"adjust_avg_pool_1_{id}").Call(p);
            p1 = new Conv2D(filters / 2, 1, padding: Padding.Same, useBias: false).WithName($"adjust_conv_1_{id}").Call(p1);
            var p2 = new ZeroPadding2D(0, 1, 0, 1).Call(p);
            p2 = new Cropping2D(1, 0, 1, 0).Call(p2);
            p2 = new AveragePooling2D(1, strides: 2).WithName($"adjust_avg_pool_2_{id}").Call(p2);
            p2 = new Conv2D(filters / 2, 1, padding: Padding.Same, useBias: false).WithName($"adjust_conv_2_{id}").Call(p2);
            p = new Concatenate().Call(p1, p2);
            return Bn($"adjust_bn_{id}", p);
        }
        if (p.Shape.Channels != filters)
        {
            p = Relu(p);
            p = new Conv2D(filters, 1, padding: Padding.Same, useBias: false).WithName($"adjust_conv_projection_{id}").Call(p);
            return Bn($"adjust_bn_{id}", p);
        }
        return p;
    }

    private static (KerasTensor X, KerasTensor P) NormalCell(KerasTensor ip, KerasTensor? pIn, int filters, string id)
    {
        var p = Adjust(pIn, ip, filters, id);
        var h = Relu(ip);
        h = new Conv2D(filters, 1, padding: Padding.Same, useBias: false).WithName($"normal_conv_1_{id}").Call(h);
        h = Bn($"normal_bn_1_{id}", h);

        var x1 = new Add().WithName($"normal_add_1_{id}").Call(SeparableBlock(h, filters, 5, 1, $"normal_left1_{id}"), SeparableBlock(p, filters, 3, 1, $"normal_right1_{id}"));
        var x2 = new Add().WithName($"normal_add_2_{id}").Call(SeparableBlock(p, filters, 5, 1, $"normal_left2_{id}"), SeparableBlock(p, filters, 3, 1, $"normal_right2_{id}"));
        var x3 = new Add().WithName($"normal_add_3_{id}").Call(new AveragePooling2D(3, 1, Padding.Same).WithName($"normal_left3_{id}").Call(h), p);
        var x4 = new Add().WithName($"normal_add_4_{id}").Call(
            new AveragePooling2D(3, 1, Padding.Same).WithName($"normal_left4_{id}").Call(p),
            new AveragePooling2D(3, 1, Padding.Same).WithName($"normal_right4_{id}").Call(p));
        var x5 = new Add().WithName($"normal_add_5_{id}").Call(SeparableBlock(h, filters, 3, 1, $"normal_left5_{id}"), h);
        var x = new Concatenate().WithName($"normal_concat_{id}").Call(p, x1, x2, x3, x4, x5);
        return (x, ip);
    }

    private static (KerasTensor X, KerasTensor P) ReductionCell(KerasTensor ip, KerasTensor? pIn, int filters, string id)
    {
        var p = Adjust(pIn, ip, filters, id);
        var h = Relu(ip);
        h = new Conv2D(filters, 1, padding: Padding.Same, useBias: false).WithName($"reduction_conv_1_{id}").Call(h);
        h = Bn($"reduction_bn_1_{id}", h);
        var h3 = CorrectPad(h.Shape, 3).WithName($"reduction_pad_1_{id}").Call(h);

        var x1 = new Add().WithName($"reduction_add_1_{id}").Call(SeparableBlock(h, filters, 5, 2, $"reduction_left1_{id}"), SeparableBlock(p, filters, 7, 2, $"reduction_right1_{id}"));
        var x2 = new Add().WithName($"reduction_add_2_{id}").Call(
            new MaxPooling2D(3, 2).WithName($"reduction_left2_{id}").Call(h3), SeparableBlock(p, filters, 7, 2, $"reduction_right2_{id}"));
        var x3 = new Add().WithName($"reduction_add3_{id}").Call(
            new AveragePooling2D(3, 2).WithName($"reduction_left3_{id}").Call(h3), SeparableBlock(p, filters, 5, 2, $"reduction_right3_{id}"));
        var x4 = new Add().Call(x2, new AveragePooling2D(3, 1, Padding.Same).WithName($"reduction_left4_{id}").Call(x1));
        var x5 = new Add().WithName($"reduction_add4_{id}").Call(
            SeparableBlock(x1, filters, 3, 1, $"reduction_left4_{id}"), new MaxPooling2D(3, 2).WithName($"reduction_right5_{id}").Call(h3));
        var x = new Concatenate().WithName($"reduction_concat_{id}").Call(x2, x3, x4, x5);
        return (x, ip);
    }
}
