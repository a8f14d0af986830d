using CastingDefects.ML.Training.Export;
using CastingDefects.ML.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Layers;

/// <summary>
/// A Keras-style layer: one definition that gives the output shape and parameter counts (for <c>Summary()</c>), a
/// TorchSharp module (for training) and ONNX nodes (for deployment). Subclass it to write a layer of your own (as in
/// Keras): override <see cref="KerasType"/>, <see cref="OutputShape"/>, <see cref="Build"/>, <see cref="ExportOnnx"/> and,
/// when it has weights, <see cref="TrainableParameters"/>; it then trains, summarises and exports with the others.
/// </summary>
public abstract class Layer
{
    /// <summary>Layer name, unique within a model (Keras style: conv2d, conv2d_1, …).</summary>
    public string Name { get; internal set; } = "";

    /// <summary>
    /// False freezes the layer (Keras's <c>layer.trainable = False</c>): its weights get no gradient, its parameters are
    /// counted as non-trainable, and a frozen BatchNormalization keeps using its moving statistics while the rest trains.
    /// </summary>
    public bool Trainable { get; set; } = true;

    /// <summary>Gives the layer an explicit name (otherwise it is named from its type when added to a model).</summary>
    public Layer WithName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        return this;
    }

    /// <summary>Applies the layer to a symbolic tensor of a functional model (Keras's <c>layer(x)</c>).</summary>
    public KerasTensor Call(KerasTensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Scope.AddNode(this, [input], () => OutputShape(input.Shape));
    }

    /// <summary>Keras's class name, used as the name stem and in <c>Summary()</c>.</summary>
    public abstract string KerasType { get; }

    /// <summary>Output shape for the given input shape; throws <see cref="ArgumentException"/> when the input does not fit.</summary>
    public abstract TensorShape OutputShape(TensorShape input);

    /// <summary>Trainable parameters for the given input shape.</summary>
    public virtual long TrainableParameters(TensorShape input) => 0;

    /// <summary>Non-trainable parameters (BatchNormalization's moving mean and variance).</summary>
    public virtual long NonTrainableParameters(TensorShape input) => 0;

    /// <summary>Trainable parameters as counted in a model: zero when the layer is frozen.</summary>
    internal long EffectiveTrainable(TensorShape input) => Trainable ? TrainableParameters(input) : 0;

    /// <summary>Non-trainable parameters as counted in a model: everything when the layer is frozen.</summary>
    internal long EffectiveNonTrainable(TensorShape input) => NonTrainableParameters(input) + (Trainable ? 0 : TrainableParameters(input));

    /// <summary>Creates the TorchSharp module, initialised as Keras initialises this layer.</summary>
    public abstract nn.Module<Tensor, Tensor> Build(TensorShape input);

    /// <summary>
    /// Where the layer's output cells sit on its input (<see cref="SpatialMap"/>); layers that keep positions need not
    /// override it. Used to place heatmaps of feature maps on the image.
    /// </summary>
    internal virtual SpatialMap Spatial(TensorShape input) => SpatialMap.Identity;

    /// <summary>
    /// The layer's weights as a state dict keyed PyTorch-style relative to the layer (<c>weight</c>, <c>bias</c>,
    /// <c>running_mean</c>, …; see <see cref="Models.Weights.StateDict"/>). By default the module's parameters under their
    /// TorchSharp names, so a layer written outside the library takes part in weight import and export as it is.
    /// </summary>
    internal virtual IEnumerable<(string Key, Tensor Tensor)> WeightTensors(nn.Module<Tensor, Tensor> module) =>
        module.named_parameters().Select(p => (p.name, (Tensor)p.parameter));

    /// <summary>
    /// Appends ONNX nodes computing this layer in inference mode (opset <see cref="OnnxGraphBuilder.Opset"/>) and returns
    /// the name of its output: <paramref name="input"/> is the name of the input value ([N, C, H, W] or [N, C]) and
    /// <paramref name="module"/> the trained module <see cref="Build"/> made, to read the weights from.
    /// </summary>
    public abstract string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module);
}
