using System.Text.RegularExpressions;
using CastingDefects.ML.Training.Layers;

namespace CastingDefects.ML.Training.Models;

/// <summary>
/// The namespace of one functional graph under construction: it names layers Keras-style (conv2d, conv2d_1, …) unless
/// they were named explicitly, and refuses to call one layer twice (shared weights are not supported).
/// </summary>
internal sealed partial class GraphScope
{
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public KerasTensor AddNode(Layer layer, IReadOnlyList<KerasTensor> inputs, Func<TensorShape> outputShape)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (inputs.Any(i => i.Scope != this))
            throw new ArgumentException($"Layer '{layer.Name}' is called on tensors of different functional graphs.");
        if (layer.Name.Length == 0) layer.Name = NextName(layer.KerasType);
        if (!_names.Add(layer.Name))
            throw new InvalidOperationException($"A layer named '{layer.Name}' is already part of this graph; every layer is called once and names are unique.");
        var node = new GraphNode(layer, inputs);
        node.Output = new KerasTensor(outputShape(), this, node);
        return node.Output;
    }

    private string NextName(string kerasType)
    {
        string stem = SnakeCase(kerasType);
        while (true)
        {
            _counts.TryGetValue(stem, out int n);
            _counts[stem] = n + 1;
            string name = n == 0 ? stem : $"{stem}_{n}";
            if (!_names.Contains(name)) return name;
        }
    }

    /// <summary>Keras's snake-case name stem for a class name (Conv2D → conv2d, BatchNormalization → batch_normalization).</summary>
    public static string SnakeCase(string kerasType) => Camel().Replace(kerasType, "_$1").ToLowerInvariant();

    [GeneratedRegex("(?<=[a-z])([A-Z])")]
    private static partial Regex Camel();
}
