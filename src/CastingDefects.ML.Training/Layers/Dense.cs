using CastingDefects.ML.Training.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Layers;

/// <summary>Fully connected layer (Keras's <c>Dense</c>) on a vector input.</summary>
public sealed class Dense : Layer, IHasActivation, IChannelPrunable
{
    /// <inheritdoc />
    internal override IEnumerable<(string Key, Tensor Tensor)> WeightTensors(nn.Module<Tensor, Tensor> module)
    {
        var linear = ((DenseModule)module).Linear;
        yield return ("weight", linear.weight!);
        if (linear.bias is not null) yield return ("bias", linear.bias);
    }

    /// <summary>Creates the layer.</summary>
    public Dense(int units, Activation activation = Activation.Linear, bool useBias = true)
    {
        if (units <= 0) throw new ArgumentOutOfRangeException(nameof(units), units, "units must be positive.");
        Units = units;
        Activation = activation;
        UseBias = useBias;
    }

    /// <summary>Output size.</summary>
    public int Units { get; }
    /// <inheritdoc />
    public Activation Activation { get; }
    /// <summary>Whether the layer adds a bias.</summary>
    public bool UseBias { get; }

    /// <inheritdoc />
    public override string KerasType => "Dense";

    /// <inheritdoc />
    public override TensorShape OutputShape(TensorShape input) => input.IsImage
        ? throw new ArgumentException($"{Name}: Dense needs a vector input, got {input}; add Flatten() or GlobalAveragePooling2D() first.")
        : TensorShape.Vector(Units);

    /// <inheritdoc />
    public override long TrainableParameters(TensorShape input) => (long)input.Channels * Units + (UseBias ? Units : 0);

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build(TensorShape input) => new DenseModule(this, input, applyActivation: true);

    /// <summary>The module without its activation (the model's logits layer).</summary>
    internal nn.Module<Tensor, Tensor> BuildWithoutActivation(TensorShape input) => new DenseModule(this, input, applyActivation: false);

    /// <inheritdoc />
    public override string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module) =>
        ExportOnnx(graph, input, inputShape, module, null, applyActivation: true);

    /// <summary>Exports Gemm with an optional input affine map folded into the weights.</summary>
    internal string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module,
        ChannelAffine? inputAffine, bool applyActivation)
    {
        var linear = ((DenseModule)module).Linear;
        float[] weight = TensorData.ToArray(linear.weight!); // [units, in]
        float[] bias = linear.bias is null ? new float[Units] : TensorData.ToArray(linear.bias);
        int fanIn = inputShape.Channels;
        if (inputAffine is not null)
        {
            for (int o = 0; o < Units; o++)
                for (int i = 0; i < fanIn; i++)
                {
                    bias[o] += weight[o * fanIn + i] * inputAffine.Shift[i];
                    weight[o * fanIn + i] *= inputAffine.Scale[i];
                }
        }
        string output = graph.Node("Gemm",
            [input, graph.Initializer(Name + "_W", weight, Units, fanIn), graph.Initializer(Name + "_B", bias, Units)],
            graph.Unique(Name), OnnxGraphBuilder.Int("transB", 1));
        return applyActivation ? ActivationFunctions.Export(graph, Activation, output) : output;
    }

    ChannelRole IChannelPrunable.ChannelRole(TensorShape input) => Activation == Activation.Softmax ? ChannelRole.Boundary : ChannelRole.Producing;

    Layer IChannelPrunable.WithChannels(int inputChannels, int outputChannels) =>
        new Dense(outputChannels, Activation, UseBias) { Name = Name, Trainable = Trainable };

    void IChannelPrunable.CopyWeights(nn.Module<Tensor, Tensor> source, nn.Module<Tensor, Tensor> target, Tensor inputKeep, Tensor outputKeep)
    {
        var from = ((DenseModule)source).Linear;
        var to = ((DenseModule)target).Linear;
        using var _ = no_grad();
        using var rows = from.weight!.index_select(0, outputKeep);
        using var weight = rows.index_select(1, inputKeep);
        to.weight!.copy_(weight);
        if (from.bias is { } bias)
        {
            using var kept = bias.index_select(0, outputKeep);
            to.bias!.copy_(kept);
        }
    }

    float[]? IChannelPrunable.Importance(nn.Module<Tensor, Tensor> module, Pruning.PruningCriterion criterion)
    {
        using var scope = NewDisposeScope();
        return TensorData.ToArray(((DenseModule)module).Linear.weight!.abs().sum([1L]));
    }

    /// <summary>TorchSharp module: Linear then the activation.</summary>
    internal sealed class DenseModule : nn.Module<Tensor, Tensor>
    {
        private readonly Activation _activation;

        public DenseModule(Dense layer, TensorShape input, bool applyActivation) : base(layer.Name)
        {
            Linear = nn.Linear(input.Channels, layer.Units, hasBias: layer.UseBias);
            _activation = applyActivation ? layer.Activation : Activation.Linear;
            using (no_grad())
            {
                KerasInit.GlorotUniform(Linear.weight!, input.Channels, layer.Units);
                Linear.bias?.zero_();
            }
            RegisterComponents();
        }

        public TorchSharp.Modules.Linear Linear { get; }

        public override Tensor forward(Tensor x) => ActivationFunctions.ApplyToFresh(_activation, Linear.forward(x));
    }
}
