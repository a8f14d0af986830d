using CastingDefects.ML.Training.Fitting;

namespace CastingDefects.ML.Training.Callbacks;

/// <summary>Multiplies the learning rate by <see cref="Factor"/> when the metric stalls for <see cref="Patience"/> epochs (Keras's <c>ReduceLROnPlateau</c>).</summary>
public sealed class ReduceLROnPlateau : Callback
{
    private double _best = double.NaN;
    private int _wait;
    private int _cooldownLeft;

    /// <summary>Creates the callback with Keras's defaults.</summary>
    public ReduceLROnPlateau(string monitor = "val_loss", double factor = 0.1, int patience = 10, double minDelta = 1e-4, int cooldown = 0, double minLearningRate = 0)
    {
        if (factor is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(factor), factor, "factor must be in (0, 1).");
        Monitor = monitor; Factor = factor; Patience = patience; MinDelta = minDelta; Cooldown = cooldown; MinLearningRate = minLearningRate;
    }

    /// <summary>Metric watched.</summary>
    public string Monitor { get; }
    /// <summary>Multiplier applied to the learning rate.</summary>
    public double Factor { get; }
    /// <summary>Epochs without improvement before reducing.</summary>
    public int Patience { get; }
    /// <summary>Smallest change that counts as an improvement.</summary>
    public double MinDelta { get; }
    /// <summary>Epochs to wait after a reduction.</summary>
    public int Cooldown { get; }
    /// <summary>Lower bound of the learning rate.</summary>
    public double MinLearningRate { get; }

    /// <inheritdoc />
    public override void OnEpochEnd(TrainingContext context, EpochLog log)
    {
        double current = log.Get(Monitor);
        if (_cooldownLeft > 0) { _cooldownLeft--; _wait = 0; }
        if (Improves(Monitor, current, _best, MinDelta))
        {
            _best = current;
            _wait = 0;
            return;
        }
        if (_cooldownLeft > 0) return;
        _wait++;
        if (_wait >= Patience && context.LearningRate > MinLearningRate)
        {
            context.LearningRate = Math.Max(context.LearningRate * Factor, MinLearningRate);
            _cooldownLeft = Cooldown;
            _wait = 0;
        }
    }

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, double> GetState() =>
        new Dictionary<string, double> { ["best"] = _best, ["wait"] = _wait, ["cooldown"] = _cooldownLeft };

    /// <inheritdoc />
    public override void SetState(IReadOnlyDictionary<string, double> state)
    {
        _best = state.GetValueOrDefault("best", double.NaN);
        _wait = (int)state.GetValueOrDefault("wait", 0);
        _cooldownLeft = (int)state.GetValueOrDefault("cooldown", 0);
    }
}
