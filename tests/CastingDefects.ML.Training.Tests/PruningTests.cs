using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;
using CastingDefects.ML.Training.Models.Applications;
using CastingDefects.ML.Training.Pruning;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Tests;

public class PruningTests
{
    /// <summary>
    /// Channels whose output is exactly zero (filters, biases and the BatchNormalization after them zeroed) are the ones
    /// pruned, and removing them leaves the network's function as it was.
    /// </summary>
    [Fact]
    public void Pruning_channels_that_are_exactly_zero_keeps_the_output_and_the_counts_match_a_hand_computation()
    {
        using var model = CastingArchitectures.Paper(grayscale: true, imageSize: 64);
        model.Build(seed: 3);
        OnnxParityTests.RandomiseBatchNorm(model, positiveScale: true);
        var blocks = model.Module.Blocks;
        int[] half = [1, 2, 5, 6, 9, 11, 12, 15];
        ZeroOutputs(blocks[0], half);                                     // conv2d (16 filters) ...
        ZeroOutputs(blocks[1], half);                                     // ... and its BatchNormalization: the channel is 0 after it
        ZeroOutputs(blocks[3], [0, 3, 4, 7, 8, 10, 13, 14]);              // conv2d_1 (16), ReLU: 0
        ZeroOutputs(blocks[12], Enumerable.Range(0, 32).Select(i => 2 * i + 1).ToArray()); // dense (64 units), ReLU: 0
        // Prunable channels: 16 + 16 + 8 + 8 + 8 + 64 = 120; 48 are zero and score lowest network-wide.
        var result = ChannelPruning.Prune(model, new ChannelPruningOptions { Ratio = 48 / 120.0, Scope = PruningScope.Global, Criterion = PruningCriterion.L1Norm });
        using var pruned = result.Model;

        Assert.Equal([("conv2d", 16, 8), ("conv2d_1", 16, 8), ("conv2d_2", 8, 8), ("conv2d_3", 8, 8), ("conv2d_4", 8, 8), ("dense", 64, 32), ("dense_1", 1, 1)],
            result.Layers.Select(l => (l.Name, l.Before, l.After)).ToArray());
        // conv 1·8·9+8, BN 4·8, conv 8·8·9+8, conv 8·8·9+8, conv 584, BN 32, conv 584, BN 32, dense 8·32+32, dense 32+1
        Assert.Equal(5577, result.ParametersBefore.Total);
        Assert.Equal(80 + 32 + 584 + 584 + 584 + 32 + 584 + 32 + 288 + 33, result.ParametersAfter.Total);
        Assert.Equal(2833, pruned.CountParameters().Total);
        Assert.Contains("Total params: 2,833", pruned.Summary());
        Assert.Equal(5577, model.CountParameters().Total); // the original is untouched

        var x = RandomImages(4, model.InputShape);
        AssertSameOutputs(model, pruned, x, 1e-5);
        OnnxParityTests.AssertParity(pruned, pruned.ToOnnx(), batch: 3);
    }

    /// <summary>
    /// Channels tied by a residual Add are pruned together: zeroing channel c on both branches (the stem's and the
    /// block's BatchNormalization) makes it removable; ranked by BatchNormalization scale, exactly those go.
    /// </summary>
    [Fact]
    public void Residual_branches_lose_the_same_channels_and_the_function_is_kept()
    {
        using var model = ResidualModel();
        model.Build(seed: 5);
        var graph = (GraphModule)model.Module.Blocks[0];
        using (no_grad())
            foreach (var bn in new[] { "stem_bn", "a_bn", "b_bn" })
            {
                var gamma = graph.ModuleOf(bn).parameters().First();
                gamma.copy_(tensor(Enumerable.Range(0, 16).Select(i => 0.5f + 0.1f * i).ToArray())); // positive scales
            }
        int[] tied = [0, 2, 3, 6, 9, 10, 13, 15];
        ZeroOutputs(graph.ModuleOf("stem_bn"), tied);
        ZeroOutputs(graph.ModuleOf("b_bn"), tied);
        ZeroOutputs(graph.ModuleOf("a_bn"), [1, 4, 5, 7, 8, 11, 12, 14]);
        // Prunable: the tied stem/b group (16), a (16), c (16): 48 channels, 16 of them zero.
        var result = ChannelPruning.Prune(model, new ChannelPruningOptions { Ratio = 16 / 48.0, Scope = PruningScope.Global, Criterion = PruningCriterion.BatchNormScale });
        using var pruned = result.Model;

        Assert.Equal([("stem", 16, 8), ("a", 16, 8), ("b", 16, 8), ("c", 16, 16), ("dense", 1, 1)],
            result.Layers.Select(l => (l.Name, l.Before, l.After)).ToArray());
        // stem 3·8·9+8, BN 32, a 8·8·9+8, BN 32, b 8·8·9+8, BN 32, c 8·16+16, dense 16+1
        Assert.Equal(224 + 32 + 584 + 32 + 584 + 32 + 144 + 17, pruned.CountParameters().Total);
        AssertSameOutputs(model, pruned, RandomImages(3, model.InputShape), 1e-5);
        OnnxParityTests.AssertParity(pruned, pruned.ToOnnx(), batch: 2);
    }

    /// <summary>ResNet18 at half its channels: every stage's tied group halves, and the exported network still matches.</summary>
    [Fact]
    public void ResNet18_pruned_by_half_stays_a_consistent_network()
    {
        using var model = new Sequential((3, 64, 64), "resnet18").Add(ResNet18.Create(3, 64, 64)).GlobalAveragePooling2D().Dense(1, Activation.Sigmoid);
        model.Build(seed: 1);
        var result = ChannelPruning.Prune(model, new ChannelPruningOptions { Ratio = 0.5 });
        using var pruned = result.Model;

        var byName = result.Layers.ToDictionary(l => l.Name);
        Assert.Equal((64, 32), (byName["conv1"].Before, byName["conv1"].After));
        Assert.Equal((64, 32), (byName["layer1.1.conv2"].Before, byName["layer1.1.conv2"].After));
        Assert.Equal((128, 64), (byName["layer2.0.downsample.0"].Before, byName["layer2.0.downsample.0"].After));
        Assert.Equal((256, 128), (byName["layer3.1.conv1"].Before, byName["layer3.1.conv1"].After));
        Assert.Equal((512, 256), (byName["layer4.1.conv2"].Before, byName["layer4.1.conv2"].After));
        // Convolutions behind conv1 keep a quarter of their weights (half in, half out): 11,157,504 / 4; conv1 keeps its
        // 3 inputs (3·32·49); BatchNormalization 4 · 2,400 channels (Keras counts the moving statistics); the head 256 + 1.
        Assert.Equal(11_186_625, result.ParametersBefore.Total);
        Assert.Equal(2_789_376 + 4_704 + 9_600 + 257, result.ParametersAfter.Total);
        OnnxParityTests.AssertParity(pruned, pruned.ToOnnx(), batch: 2);
    }

    /// <summary>MobileNetV2: depthwise convolutions follow the channels they filter, inverted residuals stay tied.</summary>
    [Fact]
    public void MobileNetV2_with_depthwise_convolutions_prunes_to_a_consistent_network()
    {
        using var model = CastingArchitectures.Create("mobilenetv2", grayscale: true, imageSize: 32);
        model.Build(seed: 2);
        var result = ChannelPruning.Prune(model, new ChannelPruningOptions { Ratio = 0.5 });
        using var pruned = result.Model;
        Assert.True(result.ParametersAfter.Total < result.ParametersBefore.Total / 2, $"{result.ParametersBefore.Total:N0} -> {result.ParametersAfter.Total:N0}");
        OnnxParityTests.AssertParity(pruned, pruned.ToOnnx(), batch: 2);
    }

    /// <summary>Iterative pruning: each round removes the same share of what is left, and each is fine-tuned.</summary>
    [Fact]
    public void Iterative_pruning_reaches_the_ratio_in_steps_and_fine_tunes_after_each()
    {
        var data = ToyData.Blobs(64, size: 64);
        using var model = CastingArchitectures.Paper(grayscale: true, imageSize: 64);
        model.Fit(data, epochs: 1, batchSize: 16);
        int callbackSets = 0;
        var result = ChannelPruning.Prune(model, data, null, new ChannelPruningOptions
        {
            Ratio = 0.5,
            Steps = 2,
            FineTune = new FitOptions { Epochs = 1, BatchSize = 16 },
            FineTuneCallbacks = () => { callbackSets++; return [new CastingDefects.ML.Training.Callbacks.EarlyStopping(monitor: "loss", patience: 1)]; },
        });
        using var pruned = result.Model;
        // 1 - √0.5 = 29.3 % a round, kept channels to the nearest multiple of 8: 16 → 11 ≈ 8 → 8; 8 → 6 ≈ 8 (kept);
        // 64 → 45 ≈ 48 → 34 ≈ 32.
        Assert.Equal([16, 16, 8, 8, 8, 64], result.Layers.Select(l => l.Before).Take(6));
        Assert.Equal([8, 8, 8, 8, 8, 32], result.Layers.Select(l => l.After).Take(6));
        Assert.Equal(2, result.FineTuning.Count);
        Assert.Equal(2, callbackSets); // fresh callbacks every round
        Assert.All(result.FineTuning, h => Assert.Single(h.Epochs));
    }

    [Fact]
    public void Concatenated_channels_stay_and_bad_options_name_themselves()
    {
        var input = Functional.Input((1, 16, 16));
        var left = new Conv2D(4, 3, padding: Padding.Same).WithName("left").Call(input);
        var right = new Conv2D(4, 3, padding: Padding.Same).WithName("right").Call(input);
        var joined = new Concatenate().Call(left, right);
        var tail = new Conv2D(16, 3, padding: Padding.Same).WithName("tail").Call(joined);
        using var model = new Sequential((1, 16, 16), "branches").Add(new Functional(input, tail, "body")).GlobalAveragePooling2D().Dense(1, Activation.Sigmoid);
        model.Build(seed: 2);
        var result = ChannelPruning.Prune(model, new ChannelPruningOptions { Ratio = 0.5 });
        using var pruned = result.Model;
        Assert.Equal([("left", 4, 4), ("right", 4, 4), ("tail", 16, 8), ("dense", 1, 1)], result.Layers.Select(l => (l.Name, l.Before, l.After)).ToArray());

        var unknown = Assert.Throws<ArgumentException>(() => ChannelPruning.Prune(model, new ChannelPruningOptions { ExcludedLayers = ["conv9"] }));
        Assert.Contains("'conv9'", unknown.Message);
        var ratio = Assert.Throws<ArgumentException>(() => ChannelPruning.Prune(model, new ChannelPruningOptions { Ratio = 1 }));
        Assert.Contains("Ratio", ratio.Message);
    }

    private static Sequential ResidualModel()
    {
        var input = Functional.Input((3, 16, 16));
        var stem = new Conv2D(16, 3, padding: Padding.Same).WithName("stem").Call(input);
        stem = new ActivationLayer(Activation.ReLU).Call(new BatchNormalization().WithName("stem_bn").Call(stem));
        var a = new Conv2D(16, 3, padding: Padding.Same).WithName("a").Call(stem);
        a = new ActivationLayer(Activation.ReLU).Call(new BatchNormalization().WithName("a_bn").Call(a));
        var b = new Conv2D(16, 3, padding: Padding.Same).WithName("b").Call(a);
        b = new BatchNormalization().WithName("b_bn").Call(b);
        var sum = new ActivationLayer(Activation.ReLU).Call(new Add().Call(stem, b));
        var c = new Conv2D(16, 1, activation: Activation.ReLU).WithName("c").Call(sum);
        return new Sequential((3, 16, 16), "residual").Add(new Functional(input, c, "body")).GlobalAveragePooling2D().Dense(1, Activation.Sigmoid);
    }

    /// <summary>Zeroes the given output channels of every parameter of a Conv2D, Dense or BatchNormalization module.</summary>
    private static void ZeroOutputs(TorchSharp.torch.nn.Module<Tensor, Tensor> module, int[] channels)
    {
        using var _ = no_grad();
        foreach (var p in module.parameters())
            foreach (int c in channels) p[c].zero_();
    }

    private static float[] RandomImages(int count, TensorShape shape)
    {
        var random = new Random(11);
        return Enumerable.Range(0, count * (int)shape.Size).Select(_ => (float)random.NextDouble()).ToArray();
    }

    private static void AssertSameOutputs(Sequential a, Sequential b, float[] pixels, double tolerance)
    {
        var shape = a.InputShape;
        long[] dims = [pixels.Length / shape.Size, shape.Channels, shape.Height, shape.Width];
        a.Module.eval();
        b.Module.eval();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var x = tensor(pixels, dims);
        float[] expected = a.Module.forward(x).data<float>().ToArray(), actual = b.Module.forward(x).data<float>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"output {i}: {expected[i]} before, {actual[i]} after pruning");
    }
}
