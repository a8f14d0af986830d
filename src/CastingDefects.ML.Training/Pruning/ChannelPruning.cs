using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Pruning;

/// <summary>
/// Structured channel pruning of a trained network built from the library's layers: the weakest channels (by
/// <see cref="PruningCriterion"/>) are removed physically, so the next layers lose the matching inputs,
/// BatchNormalization and Dense follow, and channels tied by residual <see cref="Add"/> layers or depthwise
/// convolutions go together. The result is an ordinary, smaller <see cref="Sequential"/> model, optionally fine-tuned.
/// </summary>
/// <example>
/// <code>
/// var result = ChannelPruning.Prune(model, train, validation, new ChannelPruningOptions
/// {
///     Ratio = 0.3,
///     FineTune = new FitOptions { Epochs = 5, LearningRate = 3e-4 },
/// });
/// Console.WriteLine(result.Model.Summary());
/// </code>
/// </example>
public static class ChannelPruning
{
    /// <summary>
    /// Prunes <paramref name="model"/> in one round (<see cref="ChannelPruningOptions.Steps"/> and
    /// <see cref="ChannelPruningOptions.FineTune"/> need training data: use the other overload). The model is unchanged.
    /// </summary>
    public static PruningResult Prune(Sequential model, ChannelPruningOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new ChannelPruningOptions();
        options.Validate();
        var pruned = PruneOnce(model, options.Ratio, options);
        return new PruningResult(pruned, model.CountParameters(), Compare(model, pruned), []);
    }

    /// <summary>
    /// Prunes <paramref name="model"/> in <see cref="ChannelPruningOptions.Steps"/> rounds, each followed by
    /// <see cref="ChannelPruningOptions.FineTune"/> on <paramref name="train"/> (validated on
    /// <paramref name="validation"/>, whose callbacks' settings apply). The model is unchanged.
    /// </summary>
    public static PruningResult Prune(Sequential model, ImageTensorData train, ImageTensorData? validation, ChannelPruningOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        double stepRatio = 1 - Math.Pow(1 - options.Ratio, 1.0 / options.Steps);
        var histories = new List<History>();
        var current = model;
        for (int step = 0; step < options.Steps; step++)
        {
            var next = PruneOnce(current, stepRatio, options);
            if (!ReferenceEquals(current, model)) current.Dispose();
            current = next;
            if (options.FineTune is { } fineTune) histories.Add(current.Fit(train, validation, callbacks: options.FineTuneCallbacks?.Invoke(), options: fineTune));
        }
        return new PruningResult(current, model.CountParameters(), Compare(model, current), histories);
    }

    private static Sequential PruneOnce(Sequential model, double ratio, ChannelPruningOptions options)
    {
        var graph = new ChannelGraph(model);
        var excluded = new HashSet<string>(options.ExcludedLayers, StringComparer.Ordinal);
        foreach (string name in excluded)
        {
            var node = graph.Nodes.FirstOrDefault(n => n.Layer.Name == name)
                ?? throw new ArgumentException($"ChannelPruningOptions.ExcludedLayers: model '{model.Name}' has no layer named '{name}'.");
            graph.Block(node.Output);
        }
        var spaces = graph.PrunableSpaces();
        var scores = spaces.Select(s => Scores(graph, s.Space, s.Channels, options.Criterion)).ToList();
        var removed = options.Scope == PruningScope.PerLayer
            ? spaces.Select(s => Math.Clamp((int)Math.Round(ratio * s.Channels, MidpointRounding.AwayFromZero), 0, s.Channels - options.MinimumChannels)).ToArray()
            : GlobalRemovals(spaces, scores, ratio, options);
        var keep = new Dictionary<int, long[]>();
        for (int i = 0; i < spaces.Count; i++)
        {
            removed[i] = spaces[i].Channels - Rounded(spaces[i].Channels - removed[i], spaces[i].Channels, options);
            if (removed[i] <= 0) continue;
            var drop = Enumerable.Range(0, spaces[i].Channels).OrderBy(c => scores[i][c]).ThenBy(c => c).Take(removed[i]).ToHashSet();
            keep[spaces[i].Space] = Enumerable.Range(0, spaces[i].Channels).Where(c => !drop.Contains(c)).Select(c => (long)c).ToArray();
        }
        int Channels(int value) => keep.TryGetValue(graph.SpaceOf(value), out var kept) ? kept.Length : graph.ShapeOf(value).Channels;

        // New layers where channel counts change; every other layer object is shared with the original model.
        var replacement = new Dictionary<Layer, Layer>(ReferenceEqualityComparer.Instance);
        foreach (var node in graph.Nodes)
        {
            bool changed = node.Role != ChannelRole.Boundary && (keep.ContainsKey(graph.SpaceOf(node.Inputs[0])) || keep.ContainsKey(graph.SpaceOf(node.Output)));
            replacement[node.Layer] = changed && node.Layer is IChannelPrunable prunable && node.Layer is not MergeLayer
                ? prunable.WithChannels(Channels(node.Inputs[0]), Channels(node.Output))
                : node.Layer;
        }
        var pruned = new Sequential((model.InputShape.Channels, model.InputShape.Height, model.InputShape.Width), model.Name);
        foreach (var layer in model.Layers)
            pruned.Add(layer is Functional functional ? Rebuild(functional, replacement, pruned.OutputShape) : replacement[layer]);

        // The kept slices of every weight.
        var prunedGraph = new ChannelGraph(pruned);
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var (from, to) = (graph.Nodes[i], prunedGraph.Nodes[i]);
            if (from.Module is null || to.Module is null) continue;
            if (from.Layer is IChannelPrunable prunable && from.Role != ChannelRole.Boundary)
            {
                using var inputKeep = Keep(graph, keep, from.Inputs[0]);
                using var outputKeep = Keep(graph, keep, from.Output);
                prunable.CopyWeights(from.Module, to.Module, inputKeep, outputKeep);
            }
            else CopyAll(from.Module, to.Module, from.Layer.Name);
        }
        return pruned;
    }

    /// <summary>Kept channels rounded to the nearest multiple of <see cref="ChannelPruningOptions.RoundTo"/>, within [minimum, all].</summary>
    private static int Rounded(int kept, int channels, ChannelPruningOptions options)
    {
        int step = options.RoundTo;
        if (step > 1) kept = channels < step ? channels : Math.Max(step, (int)Math.Round((double)kept / step, MidpointRounding.AwayFromZero) * step);
        return Math.Clamp(kept, Math.Min(channels, options.MinimumChannels), channels);
    }

    /// <summary>The kept channels of a value (all when its space is not pruned).</summary>
    private static Tensor Keep(ChannelGraph graph, Dictionary<int, long[]> keep, int value) =>
        keep.TryGetValue(graph.SpaceOf(value), out var kept) ? tensor(kept) : arange(graph.ShapeOf(value).Channels, dtype: ScalarType.Int64);

    /// <summary>Channel scores of one space: each contributing layer's scores divided by their mean, summed.</summary>
    private static double[] Scores(ChannelGraph graph, int space, int channels, PruningCriterion criterion)
    {
        var l1 = new List<float[]>();
        var bn = new List<float[]>();
        foreach (var node in graph.Nodes)
        {
            if (node.Module is null || node.Layer is not IChannelPrunable prunable || graph.SpaceOf(node.Output) != space) continue;
            if (node.Role == ChannelRole.Producing && prunable.Importance(node.Module, PruningCriterion.L1Norm) is { } norms) l1.Add(norms);
            if (node.Role == ChannelRole.Preserving && criterion == PruningCriterion.BatchNormScale && prunable.Importance(node.Module, criterion) is { } scales) bn.Add(scales);
        }
        var parts = bn.Count > 0 ? bn : l1;
        var total = new double[channels];
        foreach (var part in parts)
        {
            double mean = part.Average(v => (double)v);
            for (int c = 0; c < channels; c++) total[c] += mean > 0 ? part[c] / mean : part[c];
        }
        return total;
    }

    private static int[] GlobalRemovals(IReadOnlyList<(int Space, int Channels)> spaces, List<double[]> scores, double ratio, ChannelPruningOptions options)
    {
        int target = (int)Math.Round(ratio * spaces.Sum(s => s.Channels), MidpointRounding.AwayFromZero);
        var limits = spaces.Select(s => Math.Max(0, s.Channels - Math.Max(options.MinimumChannels, (int)Math.Ceiling(s.Channels * (1 - options.MaxLayerRatio))))).ToArray();
        var candidates = spaces.SelectMany((s, i) =>
        {
            double mean = scores[i].Average();
            return scores[i].Select((v, c) => (Score: mean > 0 ? v / mean : v, Space: i, Channel: c));
        }).OrderBy(c => c.Score).ThenBy(c => c.Space).ThenBy(c => c.Channel);
        var removed = new int[spaces.Count];
        int total = 0;
        foreach (var candidate in candidates)
        {
            if (total >= target) break;
            if (removed[candidate.Space] >= limits[candidate.Space]) continue;
            removed[candidate.Space]++;
            total++;
        }
        return removed;
    }

    /// <summary>The functional block with replaced layers, for inputs of <paramref name="inputShape"/>.</summary>
    private static Functional Rebuild(Functional functional, Dictionary<Layer, Layer> replacement, TensorShape inputShape)
    {
        var input = Functional.Input((inputShape.Channels, inputShape.Height, inputShape.Width));
        var values = new Dictionary<KerasTensor, KerasTensor> { [functional.InputTensor] = input };
        foreach (var node in functional.Nodes)
        {
            var layer = replacement[node.Layer];
            values[node.Output] = layer is MergeLayer merge
                ? merge.Call(node.Inputs.Select(t => values[t]).ToArray())
                : layer.Call(values[node.Inputs[0]]);
        }
        return new Functional(input, values[functional.OutputTensor], functional.Name) { Trainable = functional.Trainable };
    }

    /// <summary>Copies every parameter and buffer of a layer whose channels did not change.</summary>
    private static void CopyAll(nn.Module<Tensor, Tensor> from, nn.Module<Tensor, Tensor> to, string layer)
    {
        static IEnumerable<(string Name, Tensor Value)> All(nn.Module<Tensor, Tensor> m) =>
            m.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(m.named_buffers().Select(b => (b.name, b.buffer)));
        var target = All(to).ToDictionary(p => p.Name, p => p.Value);
        using var _ = no_grad();
        foreach (var (name, value) in All(from))
        {
            if (!target.TryGetValue(name, out var destination) || !destination.shape.SequenceEqual(value.shape))
                throw new InvalidOperationException($"Layer '{layer}': its weight '{name}' does not carry over to the pruned network.");
            destination.copy_(value);
        }
    }

    /// <summary>Output channels of every layer that makes channels, before and after.</summary>
    private static IReadOnlyList<PrunedLayer> Compare(Sequential before, Sequential after)
    {
        var (old, now) = (new ChannelGraph(before), new ChannelGraph(after));
        return old.Nodes.Zip(now.Nodes).Where(p => p.First.Role == ChannelRole.Producing)
            .Select(p => new PrunedLayer(p.First.Layer.Name, old.ShapeOf(p.First.Output).Channels, now.ShapeOf(p.Second.Output).Channels))
            .ToList();
    }
}
