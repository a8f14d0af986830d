using CastingDefects.ML.Training.Models;
using CastingDefects.ML.Training.Runtime;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Tests;

public class ChannelsLastTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Batches_get_NHWC_strides_and_keep_every_value(int channels)
    {
        using var scope = NewDisposeScope();
        var x = arange(2 * channels * 5 * 4, dtype: ScalarType.Float32).reshape(2, channels, 5, 4);
        var y = ChannelsLast.Apply(x);
        Assert.Equal(x.shape, y.shape);
        // NHWC: the channel is the fastest-moving index, then the column, the row, the image.
        Assert.Equal(new long[] { 5 * 4 * channels, 1, 4 * channels, channels }, y.stride());
        Assert.Equal(x.data<float>().ToArray(), y.contiguous().data<float>().ToArray());
        Assert.Equal(x[1, channels - 1, 2, 3].item<float>(), y[1, channels - 1, 2, 3].item<float>());
    }

    [Fact]
    public void Anything_but_a_four_dimensional_batch_is_returned_as_is()
    {
        using var scope = NewDisposeScope();
        var features = ones(3, 8);
        Assert.Same(features, ChannelsLast.Apply(features));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_paper_network_computes_the_same_logits_and_gradients_on_either_layout(bool grayscale)
    {
        using var model = CastingArchitectures.Paper(grayscale, 64);
        model.Build(seed: 3);
        var module = model.Module;
        module.train(); // batch statistics: the BatchNorm layers see the whole batch in both layouts
        using var scope = NewDisposeScope();
        manual_seed(4);
        var x = rand(6, grayscale ? 1 : 3, 64, 64);
        var weight = module.parameters().First();

        var nchw = module.forward(x);
        nchw.sum().backward();
        var gradNchw = weight.grad!.clone();
        weight.grad!.zero_();

        var nhwc = module.forward(ChannelsLast.Apply(x));
        nhwc.sum().backward();
        var gradNhwc = weight.grad!.clone();

        // Only the order of the sums differs: the results agree to float rounding, on any CPU.
        float[] a = nchw.contiguous().data<float>().ToArray(), b = nhwc.contiguous().data<float>().ToArray();
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 1e-4 * (1 + Math.Abs(a[i])), $"logit {i}: {a[i]} vs {b[i]}");
        float[] ga = gradNchw.contiguous().data<float>().ToArray(), gb = gradNhwc.contiguous().data<float>().ToArray();
        double scale = ga.Max(v => Math.Abs(v));
        Assert.True(scale > 0, "the first convolution got no gradient");
        // The gradient reaches the first convolution through BatchNormalization's batch statistics, whose backward pass
        // subtracts means of nearly equal terms: the summation order moves it by up to 0.4 % of its largest value
        // (measured on a clean clone, RGB); a layout error would change it entirely.
        for (int i = 0; i < ga.Length; i++) Assert.True(Math.Abs(ga[i] - gb[i]) <= 2e-2 * scale, $"gradient {i}: {ga[i]} vs {gb[i]}");
    }
}
