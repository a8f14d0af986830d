using CastingDefects.ML.Training.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Layers;

/// <summary>2-D convolution, as Keras's <c>Conv2D</c> (channels first): filters, kernel, strides, padding, dilation, groups.</summary>
public sealed class Conv2D : Layer, IHasActivation, IChannelPrunable, IFoldingConvolution
{
    /// <inheritdoc />
    internal override IEnumerable<(string Key, Tensor Tensor)> WeightTensors(nn.Module<Tensor, Tensor> module)
    {
        var conv = ((Conv2DModule)module).Conv;
        yield return ("weight", conv.weight!);
        if (conv.bias is not null) yield return ("bias", conv.bias);
    }

    /// <summary>Creates the layer.</summary>
    public Conv2D(int filters, int kernelSize, int strides = 1, Padding padding = Padding.Valid, Activation activation = Activation.Linear,
        int dilation = 1, int groups = 1, bool useBias = true)
        : this(filters, (kernelSize, kernelSize), (strides, strides), padding, activation, dilation, groups, useBias) { }

    /// <summary>Creates the layer with rectangular kernel and strides.</summary>
    public Conv2D(int filters, (int Height, int Width) kernelSize, (int Height, int Width) strides, Padding padding = Padding.Valid,
        Activation activation = Activation.Linear, int dilation = 1, int groups = 1, bool useBias = true)
    {
        if (filters <= 0) throw new ArgumentOutOfRangeException(nameof(filters), filters, "filters must be positive.");
        if (kernelSize.Height <= 0 || kernelSize.Width <= 0) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "kernel size must be positive.");
        if (strides.Height <= 0 || strides.Width <= 0) throw new ArgumentOutOfRangeException(nameof(strides), strides, "strides must be positive.");
        if (groups <= 0 || filters % groups != 0) throw new ArgumentOutOfRangeException(nameof(groups), groups, "groups must divide filters.");
        Filters = filters; KernelSize = kernelSize; Strides = strides; Padding = padding; Activation = activation;
        Dilation = dilation; Groups = groups; UseBias = useBias;
    }

    /// <summary>Number of output channels.</summary>
    public int Filters { get; }
    /// <summary>Kernel height and width.</summary>
    public (int Height, int Width) KernelSize { get; }
    /// <summary>Strides.</summary>
    public (int Height, int Width) Strides { get; }
    /// <summary>Padding mode.</summary>
    public Padding Padding { get; }
    /// <inheritdoc />
    public Activation Activation { get; }
    /// <summary>Dilation rate.</summary>
    public int Dilation { get; }
    /// <summary>Groups (input channels for a depthwise convolution).</summary>
    public int Groups { get; }
    /// <summary>Whether the layer adds a bias.</summary>
    public bool UseBias { get; }

    /// <inheritdoc />
    public override string KerasType => Groups > 1 ? "DepthwiseConv2D" : "Conv2D";

    internal override SpatialMap Spatial(TensorShape input) => SpatialMap.Window(KernelSize, Strides, (Dilation, Dilation),
        (PaddingMath.Axis(input.Height, KernelSize.Height, Strides.Height, Dilation, Padding).Before,
         PaddingMath.Axis(input.Width, KernelSize.Width, Strides.Width, Dilation, Padding).Before));

    /// <inheritdoc />
    public override TensorShape OutputShape(TensorShape input)
    {
        if (!input.IsImage) throw new ArgumentException($"{Name}: Conv2D needs a (C, H, W) input, got {input}.");
        if (input.Channels % Groups != 0) throw new ArgumentException($"{Name}: groups={Groups} does not divide the {input.Channels} input channels.");
        var h = PaddingMath.Axis(input.Height, KernelSize.Height, Strides.Height, Dilation, Padding);
        var w = PaddingMath.Axis(input.Width, KernelSize.Width, Strides.Width, Dilation, Padding);
        if (h.Output <= 0 || w.Output <= 0) throw new ArgumentException($"{Name}: a {KernelSize.Height}x{KernelSize.Width} kernel does not fit the {input.Height}x{input.Width} input.");
        return new TensorShape(Filters, h.Output, w.Output);
    }

    /// <inheritdoc />
    public override long TrainableParameters(TensorShape input) =>
        (long)KernelSize.Height * KernelSize.Width * (input.Channels / Groups) * Filters + (UseBias ? Filters : 0);

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build(TensorShape input) => new Conv2DModule(this, input, applyActivation: true);

    /// <summary>The module without its activation (the model's logits layer).</summary>
    internal nn.Module<Tensor, Tensor> BuildWithoutActivation(TensorShape input) => new Conv2DModule(this, input, applyActivation: false);

    /// <inheritdoc />
    public override string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module) =>
        ExportOnnx(graph, input, inputShape, module, inputAffine: null, outputAffine: null, applyActivation: true);

    string IFoldingConvolution.ExportFolded(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module,
        ChannelAffine? inputAffine, ChannelAffine? outputAffine, bool applyActivation, (int Top, int Bottom, int Left, int Right) extraPads) =>
        ExportOnnx(graph, input, inputShape, module, inputAffine, outputAffine, applyActivation, extraPads);

    bool IFoldingConvolution.CanAbsorbInputAffine(TensorShape input) => CanAbsorbInputAffine(input);

    /// <summary>True when a per-channel affine map on the input can be folded into the weights (no zero padding, no groups).</summary>
    internal bool CanAbsorbInputAffine(TensorShape input)
    {
        var h = PaddingMath.Axis(input.Height, KernelSize.Height, Strides.Height, Dilation, Padding);
        var w = PaddingMath.Axis(input.Width, KernelSize.Width, Strides.Width, Dilation, Padding);
        return Groups == 1 && h.Before + h.After + w.Before + w.After == 0;
    }

    /// <summary>Exports the convolution with optional affine maps folded in before (input) and after (output, pre-activation).</summary>
    internal string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module,
        ChannelAffine? inputAffine, ChannelAffine? outputAffine, bool applyActivation, (int Top, int Bottom, int Left, int Right) extraPads = default)
    {
        var conv = ((Conv2DModule)module).Conv;
        float[] weight = TensorData.ToArray(conv.weight!);
        float[] bias = conv.bias is null ? new float[Filters] : TensorData.ToArray(conv.bias);
        int cinPerGroup = inputShape.Channels / Groups;
        int k = KernelSize.Height * KernelSize.Width;

        if (inputAffine is not null)
        {
            if (!CanAbsorbInputAffine(inputShape)) throw new InvalidOperationException($"{Name}: cannot absorb an input affine map.");
            for (int o = 0; o < Filters; o++)
                for (int i = 0; i < cinPerGroup; i++)
                    for (int j = 0; j < k; j++)
                    {
                        int idx = (o * cinPerGroup + i) * k + j;
                        bias[o] += weight[idx] * inputAffine.Shift[i];
                        weight[idx] *= inputAffine.Scale[i];
                    }
        }
        if (outputAffine is not null)
        {
            for (int o = 0; o < Filters; o++)
            {
                for (int j = 0; j < cinPerGroup * k; j++) weight[o * cinPerGroup * k + j] *= outputAffine.Scale[o];
                bias[o] = bias[o] * outputAffine.Scale[o] + outputAffine.Shift[o];
            }
        }

        var h = PaddingMath.Axis(inputShape.Height, KernelSize.Height, Strides.Height, Dilation, Padding);
        var w = PaddingMath.Axis(inputShape.Width, KernelSize.Width, Strides.Width, Dilation, Padding);
        var inputs = new List<string> { input, graph.Initializer(Name + "_W", weight, Filters, cinPerGroup, KernelSize.Height, KernelSize.Width) };
        if (UseBias || inputAffine is not null || outputAffine is not null) inputs.Add(graph.Initializer(Name + "_B", bias, Filters));
        string output = graph.Node("Conv", inputs.ToArray(), graph.Unique(Name),
            OnnxGraphBuilder.Ints("kernel_shape", KernelSize.Height, KernelSize.Width),
            OnnxGraphBuilder.Ints("strides", Strides.Height, Strides.Width),
            OnnxGraphBuilder.Ints("dilations", Dilation, Dilation),
            OnnxGraphBuilder.Ints("pads", h.Before + extraPads.Top, w.Before + extraPads.Left, h.After + extraPads.Bottom, w.After + extraPads.Right),
            OnnxGraphBuilder.Int("group", Groups));
        return applyActivation ? ActivationFunctions.Export(graph, Activation, output) : output;
    }

    ChannelRole IChannelPrunable.ChannelRole(TensorShape input) =>
        Activation == Activation.Softmax ? ChannelRole.Boundary
        : Groups == 1 ? ChannelRole.Producing
        : Groups == input.Channels && Filters == input.Channels ? ChannelRole.Preserving // depthwise, multiplier 1
        : ChannelRole.Boundary;

    Layer IChannelPrunable.WithChannels(int inputChannels, int outputChannels)
    {
        bool depthwise = Groups > 1; // only depthwise convolutions with one filter per channel are pruned (ChannelRole)
        return new Conv2D(depthwise ? inputChannels : outputChannels, KernelSize, Strides, Padding, Activation, Dilation,
            depthwise ? inputChannels : 1, UseBias) { Name = Name, Trainable = Trainable };
    }

    void IChannelPrunable.CopyWeights(nn.Module<Tensor, Tensor> source, nn.Module<Tensor, Tensor> target, Tensor inputKeep, Tensor outputKeep)
    {
        var from = ((Conv2DModule)source).Conv;
        var to = ((Conv2DModule)target).Conv;
        using var _ = no_grad();
        using var rows = from.weight!.index_select(0, outputKeep);
        using var weight = Groups == 1 ? rows.index_select(1, inputKeep) : rows.clone();
        to.weight!.copy_(weight);
        if (from.bias is { } bias)
        {
            using var kept = bias.index_select(0, outputKeep);
            to.bias!.copy_(kept);
        }
    }

    float[]? IChannelPrunable.Importance(nn.Module<Tensor, Tensor> module, Pruning.PruningCriterion criterion)
    {
        if (Groups != 1) return null;
        using var scope = NewDisposeScope();
        return TensorData.ToArray(((Conv2DModule)module).Conv.weight!.abs().sum([1L, 2L, 3L]));
    }

    /// <summary>TorchSharp module: explicit zero padding when Keras's "same" is asymmetric, then the convolution.</summary>
    internal sealed class Conv2DModule : nn.Module<Tensor, Tensor>
    {
        private readonly long[]? _pad;
        private readonly Activation _activation;

        public Conv2DModule(Conv2D layer, TensorShape input, bool applyActivation) : base(layer.Name)
        {
            var h = PaddingMath.Axis(input.Height, layer.KernelSize.Height, layer.Strides.Height, layer.Dilation, layer.Padding);
            var w = PaddingMath.Axis(input.Width, layer.KernelSize.Width, layer.Strides.Width, layer.Dilation, layer.Padding);
            bool symmetric = h.Before == h.After && w.Before == w.After;
            Conv = nn.Conv2d(input.Channels, layer.Filters, (layer.KernelSize.Height, layer.KernelSize.Width),
                stride: (layer.Strides.Height, layer.Strides.Width),
                padding: symmetric ? (h.Before, w.Before) : (0, 0),
                dilation: (layer.Dilation, layer.Dilation), groups: layer.Groups, bias: layer.UseBias);
            if (!symmetric) _pad = [w.Before, w.After, h.Before, h.After];
            _activation = applyActivation ? layer.Activation : Activation.Linear;
            // Keras defaults: glorot_uniform kernel, zero bias.
            using (no_grad())
            {
                KerasInit.GlorotUniform(Conv.weight!, fanIn: (input.Channels / layer.Groups) * layer.KernelSize.Height * layer.KernelSize.Width,
                    fanOut: (layer.Filters / layer.Groups) * layer.KernelSize.Height * layer.KernelSize.Width);
                Conv.bias?.zero_();
            }
            RegisterComponents();
        }

        public TorchSharp.Modules.Conv2d Conv { get; }

        public override Tensor forward(Tensor x)
        {
            if (_pad is not null) x = nn.functional.pad(x, _pad);
            return ActivationFunctions.ApplyToFresh(_activation, Conv.forward(x));
        }
    }
}
