using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Tests;

public class InPlaceActivationTests
{
    [Fact]
    public void Relu_inside_convolution_and_dense_layers_gives_the_gradients_of_a_separate_relu_layer()
    {
        // Conv2D and Dense apply their ReLU in place on their fresh output; BatchNormalization keeps its input for its
        // gradient and MaxPooling2D its argmax, so a wrong in-place write would change the gradients below.
        using var fused = new Sequential((1, 16, 16), "fused")
            .Conv2D(4, 3, activation: Activation.ReLU).BatchNormalization().MaxPooling2D(2)
            .Flatten().Dense(5, Activation.ReLU).Dense(1, Activation.Sigmoid);
        using var separate = new Sequential((1, 16, 16), "separate")
            .Conv2D(4, 3).Activation(Activation.ReLU).BatchNormalization().MaxPooling2D(2)
            .Flatten().Dense(5).Activation(Activation.ReLU).Dense(1, Activation.Sigmoid);
        fused.Build(seed: 5);
        separate.Build(seed: 6);
        var a = fused.Module.parameters().ToList();
        var b = separate.Module.parameters().ToList();
        Assert.Equal(a.Count, b.Count);
        using (no_grad())
            for (int i = 0; i < a.Count; i++) b[i].copy_(a[i]);
        fused.Module.train();
        separate.Module.train();

        using var scope = NewDisposeScope();
        manual_seed(7);
        var x = randn(6, 1, 16, 16);
        var outFused = fused.Module.forward(x);
        var outSeparate = separate.Module.forward(x);
        outFused.square().sum().backward();
        outSeparate.square().sum().backward();

        Assert.Equal(outSeparate.data<float>().ToArray(), outFused.data<float>().ToArray());
        for (int i = 0; i < a.Count; i++)
        {
            float[] expected = b[i].grad!.data<float>().ToArray(), actual = a[i].grad!.data<float>().ToArray();
            Assert.Contains(expected, v => v != 0); // every parameter gets a gradient here
            Assert.Equal(expected, actual);
        }
    }
}
