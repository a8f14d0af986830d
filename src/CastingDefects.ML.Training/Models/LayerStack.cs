using CastingDefects.ML.Training.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Models;

/// <summary>
/// The TorchSharp module of a <see cref="Sequential"/> model. Its forward pass returns logits: the last layer's
/// sigmoid or softmax is left to the loss (numerically stable) and to prediction.
/// </summary>
public sealed class LayerStack : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<nn.Module<Tensor, Tensor>> blocks = new();
    private readonly List<nn.Module<Tensor, Tensor>> _frozen = new();
    private readonly List<(Layer Layer, nn.Module<Tensor, Tensor> Module, bool HasTrainableWeights)> _entries = new();

    internal LayerStack(string name, IReadOnlyList<Layer> layers, TensorShape input) : base(name)
    {
        var shape = input;
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            bool last = i == layers.Count - 1;
            nn.Module<Tensor, Tensor> module = (last, layer) switch
            {
                (true, Dense d) => d.BuildWithoutActivation(shape),
                (true, Conv2D c) => c.BuildWithoutActivation(shape),
                (true, ActivationLayer { Activation: Activation.Sigmoid or Activation.Softmax }) => new Lambda(layer.Name, x => x),
                _ => layer.Build(shape),
            };
            _entries.Add((layer, module, layer.TrainableParameters(shape) > 0)); // fixed layers (ZcaWhitening, Normalization) never train
            blocks.Add(module);
            shape = layer.OutputShape(shape);
        }
        RegisterComponents();
        SyncTrainable();
    }

    /// <summary>
    /// Applies every layer's <see cref="Layer.Trainable"/> flag now (Keras reads it when the model is compiled; here
    /// <see cref="train"/> and the trainer read it): frozen parameters stop requiring gradients and frozen modules stay
    /// in inference mode.
    /// </summary>
    public void SyncTrainable()
    {
        _frozen.Clear();
        foreach (var (layer, module, hasTrainableWeights) in _entries)
        {
            if (module is GraphModule graph) graph.SyncTrainable(layer.Trainable);
            else foreach (var p in module.parameters()) p.requires_grad = layer.Trainable && hasTrainableWeights;
            if (!layer.Trainable) _frozen.Add(module);
        }
    }

    /// <summary>The modules, one per layer, in order.</summary>
    public IReadOnlyList<nn.Module<Tensor, Tensor>> Blocks => blocks.ToList();

    /// <inheritdoc />
    public override void train(bool on = true)
    {
        SyncTrainable();
        base.train(on);
        foreach (var m in _frozen) m.train(false); // frozen layers (Trainable = false) stay in inference mode
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        foreach (var block in blocks) x = block.forward(x);
        return x;
    }
}
