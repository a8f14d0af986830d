using CastingDefects.ML.Training.Callbacks;
using CastingDefects.ML.Training.Fitting;

namespace CastingDefects.ML.Training.Pruning;

/// <summary>Settings of <see cref="ChannelPruning"/>.</summary>
public sealed class ChannelPruningOptions
{
    /// <summary>Share of the prunable channels to remove, in [0, 1) (default 0.5).</summary>
    public double Ratio { get; set; } = 0.5;

    /// <summary>
    /// How channels are ranked (default <see cref="PruningCriterion.BatchNormScale"/>, which falls back to the L1 norm for
    /// channels without BatchNormalization). Measured on the paper CNN (Kaggle, 128 px, half of its channels, fine-tuned):
    /// test accuracy −0.15 / −0.30 points (one / two rounds) with BatchNorm scale against −0.60 / −0.23 with the L1 norm.
    /// </summary>
    public PruningCriterion Criterion { get; set; } = PruningCriterion.BatchNormScale;

    /// <summary>The same share from every layer, or the weakest channels of the whole network (default per layer).</summary>
    public PruningScope Scope { get; set; } = PruningScope.PerLayer;

    /// <summary>With <see cref="PruningScope.Global"/>: the largest share any one channel group may lose (default 0.9).</summary>
    public double MaxLayerRatio { get; set; } = 0.9;

    /// <summary>Channels every group keeps at least (default 1).</summary>
    public int MinimumChannels { get; set; } = 1;

    /// <summary>
    /// Kept channels are rounded to the nearest multiple of this (default 8; 1: exact). Multiples of 8 suit the vector
    /// kernels of ONNX Runtime and libtorch; libtorch 2.x's CPU convolution was also seen to return NaN on the first call
    /// for some odd channel counts (e.g. 13 → 6), which whole multiples of 8 avoid. Groups narrower than this keep all.
    /// </summary>
    public int RoundTo { get; set; } = 8;

    /// <summary>Names of layers whose output channels stay as they are (with everything tied to them).</summary>
    public IReadOnlyCollection<string> ExcludedLayers { get; set; } = [];

    /// <summary>
    /// Pruning rounds (default 1): each removes the same share of the remaining channels, so that together they remove
    /// <see cref="Ratio"/>, and is followed by <see cref="FineTune"/> when training data is given ("prune a little,
    /// fine-tune, repeat").
    /// </summary>
    public int Steps { get; set; } = 1;

    /// <summary>Training after each round (epochs, learning rate, callbacks' settings); null: no fine-tuning.</summary>
    public FitOptions? FineTune { get; set; }

    /// <summary>
    /// Callbacks of each fine-tuning round, made afresh for every round (they keep state), e.g.
    /// <c>() => [new EarlyStopping(patience: 3, restoreBestWeights: true)]</c> to keep the round's best epoch.
    /// </summary>
    public Func<IReadOnlyList<Callback>>? FineTuneCallbacks { get; set; }

    /// <summary>Checks the options; throws <see cref="ArgumentException"/> naming the option.</summary>
    public void Validate()
    {
        if (Ratio is < 0 or >= 1 || double.IsNaN(Ratio)) throw new ArgumentException($"ChannelPruningOptions.Ratio {Ratio}: a share in [0, 1).");
        if (MaxLayerRatio is <= 0 or >= 1 || double.IsNaN(MaxLayerRatio)) throw new ArgumentException($"ChannelPruningOptions.MaxLayerRatio {MaxLayerRatio}: a share in (0, 1).");
        if (MinimumChannels < 1) throw new ArgumentException($"ChannelPruningOptions.MinimumChannels {MinimumChannels}: at least 1.");
        if (RoundTo < 1) throw new ArgumentException($"ChannelPruningOptions.RoundTo {RoundTo}: at least 1.");
        if (Steps < 1) throw new ArgumentException($"ChannelPruningOptions.Steps {Steps}: at least 1.");
        ArgumentNullException.ThrowIfNull(ExcludedLayers, nameof(ExcludedLayers));
    }
}
