using CastingDefects.ML.Training.Fitting;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Callbacks;

/// <summary>
/// Stops when the monitored metric has not improved for <see cref="Patience"/> epochs (Keras's <c>EarlyStopping</c>).
/// With <see cref="RestoreBestWeights"/> and a checkpoint folder, the best weights are also written there
/// (<see cref="WeightsFile"/>), so a run that is killed after its best epoch and resumed still ends with them.
/// </summary>
public sealed class EarlyStopping : Callback
{
    private double _best = double.NaN;
    private int _wait;
    private int _bestEpoch;
    private Dictionary<string, Tensor>? _bestWeights;

    /// <summary>Creates the callback.</summary>
    public EarlyStopping(string monitor = "val_loss", int patience = 5, double minDelta = 0, bool restoreBestWeights = false)
    {
        if (patience < 0) throw new ArgumentOutOfRangeException(nameof(patience), patience, "patience must not be negative.");
        Monitor = monitor;
        Patience = patience;
        MinDelta = Math.Abs(minDelta);
        RestoreBestWeights = restoreBestWeights;
    }

    /// <summary>Metric watched (loss, accuracy, val_loss, val_accuracy).</summary>
    public string Monitor { get; }
    /// <summary>Epochs without improvement before stopping.</summary>
    public int Patience { get; }
    /// <summary>Smallest change that counts as an improvement.</summary>
    public double MinDelta { get; }
    /// <summary>Put back the weights of the best epoch at the end.</summary>
    public bool RestoreBestWeights { get; }
    /// <summary>Epoch at which training was stopped, or 0.</summary>
    public int StoppedEpoch { get; private set; }
    /// <summary>File name, in the checkpoint folder, of the best weights kept for <see cref="RestoreBestWeights"/>.</summary>
    public string WeightsFile => $"early_stopping_best_{Monitor}.weights";

    /// <summary>Best epoch seen (from 1).</summary>
    public int BestEpoch => _bestEpoch;

    /// <inheritdoc />
    public override void OnEpochEnd(TrainingContext context, EpochLog log)
    {
        double current = log.Get(Monitor);
        if (Improves(Monitor, current, _best, MinDelta))
        {
            _best = current;
            _wait = 0;
            _bestEpoch = log.Epoch;
            if (RestoreBestWeights)
            {
                _bestWeights = Snapshot(context);
                if (context.CheckpointDirectory is { } dir) context.Model.SaveWeights(Path.Combine(dir, WeightsFile));
            }
            return;
        }
        _wait++;
        if (_wait >= Patience)
        {
            StoppedEpoch = log.Epoch;
            context.StopTraining = true;
        }
    }

    /// <inheritdoc />
    public override void OnTrainEnd(TrainingContext context)
    {
        if (!RestoreBestWeights) return;
        if (_bestWeights is null)
        {
            // Resumed after the best epoch: its weights are in the checkpoint folder, not in memory.
            if (_bestEpoch > 0 && context.CheckpointDirectory is { } dir && File.Exists(Path.Combine(dir, WeightsFile)))
                context.Model.LoadWeights(Path.Combine(dir, WeightsFile));
            return;
        }
        using (no_grad())
        {
            var state = context.Model.Module.state_dict();
            foreach (var (name, value) in _bestWeights) state[name].copy_(value);
        }
        foreach (var t in _bestWeights.Values) t.Dispose();
        _bestWeights = null;
    }

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, double> GetState() =>
        new Dictionary<string, double> { ["best"] = _best, ["wait"] = _wait, ["best_epoch"] = _bestEpoch };

    /// <inheritdoc />
    public override void SetState(IReadOnlyDictionary<string, double> state)
    {
        _best = state.GetValueOrDefault("best", double.NaN);
        _wait = (int)state.GetValueOrDefault("wait", 0);
        _bestEpoch = (int)state.GetValueOrDefault("best_epoch", 0);
    }

    private Dictionary<string, Tensor> Snapshot(TrainingContext context)
    {
        if (_bestWeights is not null) foreach (var t in _bestWeights.Values) t.Dispose();
        return context.Model.Module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }
}
