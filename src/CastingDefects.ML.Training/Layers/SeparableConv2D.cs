using CastingDefects.ML.Training.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Layers;

/// <summary>
/// Depthwise separable convolution (Keras's <c>SeparableConv2D</c>, depth multiplier 1): a k x k depthwise convolution
/// per input channel, then a 1x1 pointwise convolution to <see cref="Filters"/> channels. Parameters:
/// k·k·C_in + C_in·filters (+ filters with a bias).
/// </summary>
public sealed class SeparableConv2D : Layer, IHasActivation, IChannelPrunable, IFoldingConvolution
{
    /// <inheritdoc />
    internal override IEnumerable<(string Key, Tensor Tensor)> WeightTensors(nn.Module<Tensor, Tensor> module)
    {
        var sep = (SeparableModule)module;
        yield return ("depthwise.weight", sep.Depthwise.Conv.weight!);
        yield return ("pointwise.weight", sep.Pointwise.Conv.weight!);
        if (sep.Pointwise.Conv.bias is not null) yield return ("pointwise.bias", sep.Pointwise.Conv.bias);
    }

    /// <summary>Creates the layer.</summary>
    public SeparableConv2D(int filters, int kernelSize, int strides = 1, Padding padding = Padding.Valid,
        Activation activation = Activation.Linear, bool useBias = true)
    {
        if (filters <= 0) throw new ArgumentOutOfRangeException(nameof(filters), filters, "filters must be positive.");
        if (kernelSize <= 0) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "kernel size must be positive.");
        if (strides <= 0) throw new ArgumentOutOfRangeException(nameof(strides), strides, "strides must be positive.");
        Filters = filters; KernelSize = kernelSize; Strides = strides; Padding = padding; Activation = activation; UseBias = useBias;
    }

    /// <summary>Output channels.</summary>
    public int Filters { get; }
    /// <summary>Kernel height and width of the depthwise step.</summary>
    public int KernelSize { get; }
    /// <summary>Strides of the depthwise step.</summary>
    public int Strides { get; }
    /// <summary>Padding of the depthwise step.</summary>
    public Padding Padding { get; }
    /// <inheritdoc />
    public Activation Activation { get; }
    /// <summary>Whether the pointwise step adds a bias.</summary>
    public bool UseBias { get; }

    /// <inheritdoc />
    public override string KerasType => "SeparableConv2D";

    ChannelRole IChannelPrunable.ChannelRole(TensorShape input) => Activation == Activation.Softmax ? ChannelRole.Boundary : ChannelRole.Producing;

    Layer IChannelPrunable.WithChannels(int inputChannels, int outputChannels) =>
        new SeparableConv2D(outputChannels, KernelSize, Strides, Padding, Activation, UseBias) { Name = Name, Trainable = Trainable };

    void IChannelPrunable.CopyWeights(nn.Module<Tensor, Tensor> source, nn.Module<Tensor, Tensor> target, Tensor inputKeep, Tensor outputKeep)
    {
        var from = (SeparableModule)source;
        var to = (SeparableModule)target;
        using var _ = no_grad();
        using var depthwise = from.Depthwise.Conv.weight!.index_select(0, inputKeep);
        to.Depthwise.Conv.weight!.copy_(depthwise);
        using var rows = from.Pointwise.Conv.weight!.index_select(0, outputKeep);
        using var pointwise = rows.index_select(1, inputKeep);
        to.Pointwise.Conv.weight!.copy_(pointwise);
        if (from.Pointwise.Conv.bias is { } bias)
        {
            using var kept = bias.index_select(0, outputKeep);
            to.Pointwise.Conv.bias!.copy_(kept);
        }
    }

    float[]? IChannelPrunable.Importance(nn.Module<Tensor, Tensor> module, Pruning.PruningCriterion criterion)
    {
        using var scope = NewDisposeScope();
        return TensorData.ToArray(((SeparableModule)module).Pointwise.Conv.weight!.abs().sum([1L, 2L, 3L]));
    }

    private Conv2D Depthwise(TensorShape input) =>
        (Conv2D)new Conv2D(input.Channels, KernelSize, Strides, Padding, groups: input.Channels, useBias: false).WithName(Name + "_depthwise");

    private Conv2D Pointwise() =>
        (Conv2D)new Conv2D(Filters, 1, activation: Activation, useBias: UseBias).WithName(Name + "_pointwise");

    internal override SpatialMap Spatial(TensorShape input) => Depthwise(input).Spatial(input); // the pointwise step keeps positions

    /// <inheritdoc />
    public override TensorShape OutputShape(TensorShape input)
    {
        if (!input.IsImage) throw new ArgumentException($"{Name}: SeparableConv2D needs a (C, H, W) input, got {input}.");
        return Pointwise().OutputShape(Depthwise(input).OutputShape(input));
    }

    /// <inheritdoc />
    public override long TrainableParameters(TensorShape input) =>
        (long)KernelSize * KernelSize * input.Channels + (long)input.Channels * Filters + (UseBias ? Filters : 0);

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build(TensorShape input) => new SeparableModule(this, input);

    /// <inheritdoc />
    public override string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module) =>
        ExportOnnx(graph, input, inputShape, module, null, default);

    bool IFoldingConvolution.CanAbsorbInputAffine(TensorShape input) => false; // the depthwise stage pads with zeros

    string IFoldingConvolution.ExportFolded(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module,
        ChannelAffine? inputAffine, ChannelAffine? outputAffine, bool applyActivation, (int Top, int Bottom, int Left, int Right) extraPads) =>
        inputAffine is null && applyActivation ? ExportOnnx(graph, input, inputShape, module, outputAffine, extraPads)
            : throw new InvalidOperationException($"{Name}: a separable convolution takes no input affine map and keeps its activation.");

    /// <summary>Exports both steps; <paramref name="outputAffine"/> (a following BatchNormalization) folds into the pointwise step.</summary>
    internal string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module,
        ChannelAffine? outputAffine, (int Top, int Bottom, int Left, int Right) extraPads)
    {
        var m = (SeparableModule)module;
        var depthwise = Depthwise(inputShape);
        string x = depthwise.ExportOnnx(graph, input, inputShape, m.Depthwise, null, null, applyActivation: false, extraPads);
        var mid = depthwise.OutputShape(new TensorShape(inputShape.Channels,
            inputShape.Height + extraPads.Top + extraPads.Bottom, inputShape.Width + extraPads.Left + extraPads.Right)); // size after a folded ZeroPadding2D
        return Pointwise().ExportOnnx(graph, x, mid, m.Pointwise, null, outputAffine, applyActivation: true);
    }

    /// <summary>TorchSharp module: the depthwise and pointwise convolutions.</summary>
    internal sealed class SeparableModule : nn.Module<Tensor, Tensor>
    {
        public SeparableModule(SeparableConv2D layer, TensorShape input) : base(layer.Name)
        {
            var depthwise = layer.Depthwise(input);
            Depthwise = (Conv2D.Conv2DModule)depthwise.Build(input);
            Pointwise = (Conv2D.Conv2DModule)layer.Pointwise().Build(depthwise.OutputShape(input));
            RegisterComponents();
        }

        public Conv2D.Conv2DModule Depthwise { get; }

        public Conv2D.Conv2DModule Pointwise { get; }

        public override Tensor forward(Tensor x) => Pointwise.forward(Depthwise.forward(x));
    }
}
