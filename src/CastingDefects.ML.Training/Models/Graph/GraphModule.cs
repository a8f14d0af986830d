using CastingDefects.ML.Training.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Models;

/// <summary>
/// The one TorchSharp module of every model: a <see cref="Functional"/> graph (a <see cref="Sequential"/> is a linear
/// one) with one submodule per layer, registered under the layer's name (<c>layers.conv2d.…</c>) and executed in
/// topological order; merge layers are computed in place. The module of a whole classifier returns logits: its last
/// layer's sigmoid or softmax is left to the loss (numerically stable) and to prediction.
/// </summary>
public sealed class GraphModule : nn.Module<Tensor, Tensor>
{
    private readonly ModuleDict<nn.Module<Tensor, Tensor>> layers = new();
    private readonly Step[] _steps;
    private readonly List<nn.Module<Tensor, Tensor>> _frozen = new();
    private readonly Dictionary<string, nn.Module<Tensor, Tensor>> _byLayer = new(StringComparer.Ordinal);
    private bool _parentTrainable = true;

    private sealed record Step(Layer Layer, int[] Inputs, nn.Module<Tensor, Tensor>? Module, bool HasTrainableWeights);

    /// <param name="model">The graph.</param>
    /// <param name="logits">True for a whole classifier: the output layer is built without its sigmoid or softmax.</param>
    internal GraphModule(Functional model, bool logits = false) : base(model.Name)
    {
        var index = new Dictionary<KerasTensor, int> { [model.InputTensor] = 0 };
        var steps = new List<Step>();
        foreach (var node in model.Nodes)
        {
            nn.Module<Tensor, Tensor>? module = null;
            if (node.Layer is not MergeLayer)
            {
                var shape = node.Inputs[0].Shape;
                bool head = logits && node.Output == model.OutputTensor;
                module = (head, node.Layer) switch
                {
                    (true, Dense d) => d.BuildWithoutActivation(shape),
                    (true, Conv2D c) => c.BuildWithoutActivation(shape),
                    (true, ActivationLayer { Activation: Activation.Sigmoid or Activation.Softmax }) => new Lambda(node.Layer.Name, x => x),
                    _ => node.Layer.Build(shape),
                };
                layers.Add((ModuleKey(node.Layer.Name), module));
                _byLayer[node.Layer.Name] = module;
            }
            // Fixed layers (ZcaWhitening, Normalization) have weights but never train.
            steps.Add(new Step(node.Layer, node.Inputs.Select(i => index[i]).ToArray(), module, node.Layer.TrainableParameters(node.Inputs[0].Shape) > 0));
            index[node.Output] = steps.Count;
        }
        _steps = steps.ToArray();
        RegisterComponents();
        SyncTrainable(true);
    }

    /// <summary>
    /// Applies every layer's <see cref="Layer.Trainable"/> flag now (Keras reads it when the model is compiled; here
    /// <see cref="train"/> and the trainer read it), nested graphs included: frozen parameters stop requiring gradients
    /// and frozen modules stay in inference mode.
    /// </summary>
    public void SyncTrainable() => SyncTrainable(true);

    /// <summary>As <see cref="SyncTrainable()"/>, with every layer frozen when <paramref name="parentTrainable"/> is false.</summary>
    internal void SyncTrainable(bool parentTrainable)
    {
        _parentTrainable = parentTrainable;
        _frozen.Clear();
        foreach (var step in _steps)
        {
            if (step.Module is null) continue;
            bool trainable = parentTrainable && step.Layer.Trainable;
            if (step.Module is GraphModule nested) nested.SyncTrainable(trainable);
            else foreach (var p in step.Module.parameters()) p.requires_grad = trainable && step.HasTrainableWeights;
            if (!trainable) _frozen.Add(step.Module);
        }
    }

    /// <summary>The modules of the layers, in execution order (merge layers have none): for a <see cref="Sequential"/>, one per layer.</summary>
    public IReadOnlyList<nn.Module<Tensor, Tensor>> Blocks => _steps.Where(s => s.Module is not null).Select(s => s.Module!).ToList();

    /// <summary>The module of the named layer (for weight import and inspection).</summary>
    public nn.Module<Tensor, Tensor> ModuleOf(string layerName) => _byLayer.TryGetValue(layerName, out var m)
        ? m : throw new KeyNotFoundException($"Graph '{GetName()}' has no module for layer '{layerName}'.");

    /// <summary>Key of a layer's module: its name with dots (torchvision-style names) replaced by underscores.</summary>
    internal static string ModuleKey(string layerName) => layerName.Replace('.', '_');

    /// <inheritdoc />
    public override void train(bool on = true)
    {
        SyncTrainable(_parentTrainable);
        base.train(on);
        foreach (var m in _frozen) m.train(false); // frozen layers (Trainable = false) stay in inference mode
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        var values = new Tensor[_steps.Length + 1];
        values[0] = x;
        for (int i = 0; i < _steps.Length; i++)
        {
            var step = _steps[i];
            values[i + 1] = step.Module is { } module
                ? module.forward(values[step.Inputs[0]])
                : ((MergeLayer)step.Layer).Forward(step.Inputs.Select(j => values[j]).ToList());
        }
        return values[^1];
    }
}
