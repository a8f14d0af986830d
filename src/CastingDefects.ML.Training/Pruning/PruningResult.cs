using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Models;

namespace CastingDefects.ML.Training.Pruning;

/// <summary>What <see cref="ChannelPruning"/> made: the smaller network and what changed.</summary>
public sealed class PruningResult
{
    internal PruningResult(Sequential model, ParameterCounts before, IReadOnlyList<PrunedLayer> layers, IReadOnlyList<History> fineTuning)
    {
        Model = model;
        ParametersBefore = before;
        Layers = layers;
        FineTuning = fineTuning;
    }

    /// <summary>The pruned network: an ordinary model (summary, fit, ONNX export, save); the caller disposes it.</summary>
    public Sequential Model { get; }

    /// <summary>Parameters of the network that was pruned.</summary>
    public ParameterCounts ParametersBefore { get; }

    /// <summary>Parameters of <see cref="Model"/>.</summary>
    public ParameterCounts ParametersAfter => Model.CountParameters();

    /// <summary>Every layer that makes channels, with its channels before and after.</summary>
    public IReadOnlyList<PrunedLayer> Layers { get; }

    /// <summary>The fine-tuning after each round (empty without <see cref="ChannelPruningOptions.FineTune"/> or training data).</summary>
    public IReadOnlyList<History> FineTuning { get; }
}
