using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Tests;

public class TorchSharpLoadTests
{
    /// <summary>The native library loads in this process (on Debian 12 only thanks to the GLIBCXX build step) and autograd works.</summary>
    [Fact]
    public void Forward_and_backward_pass_run_in_process()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var conv = nn.Conv2d(1, 2, 3);
        var x = ones(1, 1, 5, 5);
        var y = conv.forward(x).sum();
        y.backward();
        var grad = conv.weight!.grad!;
        Assert.Equal(new long[] { 2, 1, 3, 3 }, grad.shape);
        // d(sum of a 3x3 output map)/d(w) for an all-ones input is 9 for every weight.
        Assert.All(grad.data<float>().ToArray(), g => Assert.Equal(9f, g, 4));
    }
}
