using CastingDefects.ML.Training.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Layers;

/// <summary>
/// Batch normalisation over channels, with Keras's defaults (momentum 0.99, epsilon 1e-3). Keras counts gamma and
/// beta as trainable and the moving mean and variance as non-trainable; so does <c>Summary()</c>.
/// </summary>
public sealed class BatchNormalization : Layer, IChannelPrunable, IChannelAffineLayer
{
    /// <inheritdoc />
    internal override IEnumerable<(string Key, Tensor Tensor)> WeightTensors(nn.Module<Tensor, Tensor> module)
    {
        var bn = (TorchSharp.Modules.NormBase)module;
        yield return ("weight", bn.weight!);
        yield return ("bias", bn.bias!);
        yield return ("running_mean", bn.running_mean!);
        yield return ("running_var", bn.running_var!);
    }

    /// <summary>Creates the layer.</summary>
    public BatchNormalization(double momentum = 0.99, double epsilon = 1e-3)
    {
        if (momentum is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be in [0, 1].");
        if (epsilon <= 0) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be positive.");
        Momentum = momentum;
        Epsilon = epsilon;
    }

    /// <summary>Keras momentum of the moving averages (TorchSharp's momentum is 1 minus this).</summary>
    public double Momentum { get; }

    /// <summary>Added to the variance.</summary>
    public double Epsilon { get; }

    /// <inheritdoc />
    public override string KerasType => "BatchNormalization";

    /// <inheritdoc />
    public override TensorShape OutputShape(TensorShape input) => input;

    /// <inheritdoc />
    public override long TrainableParameters(TensorShape input) => 2L * input.Channels;

    /// <inheritdoc />
    public override long NonTrainableParameters(TensorShape input) => 2L * input.Channels;

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build(TensorShape input) => input.IsImage
        ? nn.BatchNorm2d(input.Channels, eps: Epsilon, momentum: 1 - Momentum)
        : nn.BatchNorm1d(input.Channels, eps: Epsilon, momentum: 1 - Momentum);

    /// <summary>The inference-mode map y = x * scale + shift of the trained module.</summary>
    ChannelAffine IChannelAffineLayer.Affine(nn.Module<Tensor, Tensor> module) => Affine(module);

    internal ChannelAffine Affine(nn.Module<Tensor, Tensor> module)
    {
        var parts = Parts(module);
        var (weight, bias, mean, variance) = (parts[0], parts[1], parts[2], parts[3]);
        float[] g = TensorData.ToArray(weight), b0 = TensorData.ToArray(bias), m = TensorData.ToArray(mean), v = TensorData.ToArray(variance);
        var scale = new float[g.Length];
        var shift = new float[g.Length];
        for (int c = 0; c < g.Length; c++)
        {
            scale[c] = (float)(g[c] / Math.Sqrt(v[c] + Epsilon));
            shift[c] = b0[c] - m[c] * scale[c];
        }
        return new ChannelAffine(scale, shift);
    }

    void IChannelPrunable.CopyWeights(nn.Module<Tensor, Tensor> source, nn.Module<Tensor, Tensor> target, Tensor inputKeep, Tensor outputKeep)
    {
        var from = Parts(source);
        var to = Parts(target);
        using var _ = no_grad();
        for (int i = 0; i < from.Length; i++)
        {
            using var kept = from[i].index_select(0, outputKeep);
            to[i].copy_(kept);
        }
    }

    float[]? IChannelPrunable.Importance(nn.Module<Tensor, Tensor> module, Pruning.PruningCriterion criterion)
    {
        if (criterion != Pruning.PruningCriterion.BatchNormScale) return null;
        using var scope = NewDisposeScope();
        return TensorData.ToArray(Parts(module)[0].abs());
    }

    /// <summary>γ, β, moving mean and moving variance of the module.</summary>
    private Tensor[] Parts(nn.Module<Tensor, Tensor> module) => module switch
    {
        TorchSharp.Modules.BatchNorm2d b => [b.weight!, b.bias!, b.running_mean!, b.running_var!],
        TorchSharp.Modules.BatchNorm1d b => [b.weight!, b.bias!, b.running_mean!, b.running_var!],
        _ => throw new InvalidOperationException($"{Name}: unexpected module {module.GetType().Name}."),
    };

    /// <inheritdoc />
    public override string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module) =>
        ExportAffine(graph, input, inputShape, Affine(module), Name);

    /// <summary>Emits y = x * scale + shift as Mul and Add nodes broadcast over the channel axis.</summary>
    internal static string ExportAffine(OnnxGraphBuilder graph, string input, TensorShape shape, ChannelAffine affine, string name)
    {
        long[] dims = shape.IsImage ? [affine.Scale.Length, 1, 1] : [affine.Scale.Length];
        string scaled = graph.Node("Mul", [input, graph.Initializer(name + "_scale", affine.Scale, dims)]);
        return graph.Node("Add", [scaled, graph.Initializer(name + "_shift", affine.Shift, dims)], graph.Unique(name));
    }
}
