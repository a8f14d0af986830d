using CastingDefects.ML.Training.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Models.Weights;

/// <summary>
/// Moves weights between a model and a state dict keyed PyTorch-style by layer name: <c>{layer}.weight</c>,
/// <c>{layer}.bias</c>, BatchNormalization's <c>running_mean</c> and <c>running_var</c>, and for SeparableConv2D
/// <c>{layer}.depthwise.weight</c> and <c>{layer}.pointwise.weight</c>/<c>.bias</c>. Layouts are PyTorch's: convolution
/// kernels [out, in/groups, kh, kw], Dense [out, in]. Layers of a <see cref="Functional"/> are addressed by their own
/// names (ResNet18 uses torchvision's, so a torchvision state dict loads as is); layers of the outer
/// <see cref="Sequential"/> by theirs.
/// </summary>
public static class StateDict
{
    /// <summary>Every weight of the model, keyed as described above.</summary>
    public static Dictionary<string, NamedTensor> Get(Sequential model)
    {
        var result = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in Parameters(model))
            result[name] = new NamedTensor(tensor.shape, Export.TensorData.ToArray(tensor));
        return result;
    }

    /// <summary>
    /// Copies the entries whose names match into the model (built first if needed) and returns the names of the
    /// model's weights that were not found. Keys the model does not have (a classifier of 1000 classes, for example)
    /// are ignored; a shape mismatch throws <see cref="InvalidDataException"/> naming the key.
    /// </summary>
    public static IReadOnlyList<string> Load(Sequential model, IReadOnlyDictionary<string, NamedTensor> weights)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Load(Parameters(model), weights);
    }

    /// <summary>As <see cref="Load(Sequential, IReadOnlyDictionary{string, NamedTensor})"/>, for a functional model's built module.</summary>
    internal static IReadOnlyList<string> Load(Functional model, nn.Module<Tensor, Tensor> module, IReadOnlyDictionary<string, NamedTensor> weights) =>
        Load(FunctionalParameters(model, (GraphModule)module), weights);

    private static IReadOnlyList<string> Load(IEnumerable<(string Name, Tensor Tensor)> parameters, IReadOnlyDictionary<string, NamedTensor> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var missing = new List<string>();
        using var _ = no_grad();
        foreach (var (name, target) in parameters)
        {
            if (!weights.TryGetValue(name, out var source))
            {
                missing.Add(name);
                continue;
            }
            if (!source.Shape.SequenceEqual(target.shape))
                throw new InvalidDataException($"Weight '{name}' has shape [{string.Join(", ", source.Shape)}] but the model expects [{string.Join(", ", target.shape)}].");
            using var values = tensor(source.Values).reshape(source.Shape);
            target.copy_(values);
        }
        return missing;
    }

    private static IEnumerable<(string Name, Tensor Tensor)> Parameters(Sequential model) => GraphParameters(model.Graph, model.Module);

    private static IEnumerable<(string Name, Tensor Tensor)> FunctionalParameters(Functional functional, GraphModule graph) => GraphParameters(functional, graph);

    /// <summary>
    /// Every layer's own entries (<see cref="Layer.WeightTensors"/>) under its name; a nested graph's layers under their
    /// own names (a backbone keeps torchvision's).
    /// </summary>
    private static IEnumerable<(string Name, Tensor Tensor)> GraphParameters(Functional model, GraphModule module) =>
        model.Layers.Where(l => l is not MergeLayer).SelectMany(layer => layer is Functional nested
            ? GraphParameters(nested, (GraphModule)module.ModuleOf(layer.Name))
            : layer.WeightTensors(module.ModuleOf(layer.Name)).Select(e => ($"{layer.Name}.{e.Key}", e.Tensor)));
}
