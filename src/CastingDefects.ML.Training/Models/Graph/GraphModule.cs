using CastingDefects.ML.Training.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Models;

/// <summary>
/// The TorchSharp module of a <see cref="Functional"/> graph: one submodule per layer (registered under the layer's
/// name), executed in topological order; merge layers are computed in place.
/// </summary>
public sealed class GraphModule : nn.Module<Tensor, Tensor>
{
    private readonly ModuleDict<nn.Module<Tensor, Tensor>> layers = new();
    private readonly Step[] _steps;
    private readonly List<nn.Module<Tensor, Tensor>> _frozen = new();
    private readonly Dictionary<string, nn.Module<Tensor, Tensor>> _byLayer = new(StringComparer.Ordinal);

    private sealed record Step(Layer Layer, int[] Inputs, nn.Module<Tensor, Tensor>? Module, bool HasTrainableWeights);

    internal GraphModule(Functional model) : base(model.Name)
    {
        var index = new Dictionary<KerasTensor, int> { [model.InputTensor] = 0 };
        var steps = new List<Step>();
        foreach (var node in model.Nodes)
        {
            nn.Module<Tensor, Tensor>? module = null;
            if (node.Layer is not MergeLayer)
            {
                module = node.Layer.Build(node.Inputs[0].Shape);
                layers.Add((ModuleKey(node.Layer.Name), module));
                _byLayer[node.Layer.Name] = module;
            }
            steps.Add(new Step(node.Layer, node.Inputs.Select(i => index[i]).ToArray(), module, node.Layer.TrainableParameters(node.Inputs[0].Shape) > 0));
            index[node.Output] = steps.Count;
        }
        _steps = steps.ToArray();
        RegisterComponents();
        SyncTrainable(true);
    }

    /// <summary>
    /// Applies the layers' <see cref="Layer.Trainable"/> flags (all frozen when <paramref name="parentTrainable"/> is
    /// false): frozen parameters stop requiring gradients, frozen modules stay in inference mode.
    /// </summary>
    internal void SyncTrainable(bool parentTrainable)
    {
        _frozen.Clear();
        foreach (var step in _steps)
        {
            if (step.Module is null) continue;
            bool trainable = parentTrainable && step.Layer.Trainable;
            foreach (var p in step.Module.parameters()) p.requires_grad = trainable && step.HasTrainableWeights;
            if (!trainable) _frozen.Add(step.Module);
        }
    }

    /// <summary>The module of the named layer (for weight import and inspection).</summary>
    public nn.Module<Tensor, Tensor> ModuleOf(string layerName) => _byLayer.TryGetValue(layerName, out var m)
        ? m : throw new KeyNotFoundException($"Graph '{GetName()}' has no module for layer '{layerName}'.");

    /// <summary>Key of a layer's module: its name with dots (torchvision-style names) replaced by underscores.</summary>
    internal static string ModuleKey(string layerName) => layerName.Replace('.', '_');

    /// <inheritdoc />
    public override void train(bool on = true)
    {
        base.train(on);
        foreach (var m in _frozen) m.train(false);
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
