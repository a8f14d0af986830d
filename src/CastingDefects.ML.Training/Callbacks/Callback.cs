using CastingDefects.ML.Training.Fitting;

namespace CastingDefects.ML.Training.Callbacks;

/// <summary>Hooks into training, as Keras's callbacks. State that must survive a resume goes through <see cref="GetState"/>.</summary>
public abstract class Callback
{
    /// <summary>Called before the first epoch.</summary>
    public virtual void OnTrainBegin(TrainingContext context) { }

    /// <summary>Called after each epoch with its logs.</summary>
    public virtual void OnEpochEnd(TrainingContext context, EpochLog log) { }

    /// <summary>Called after the last epoch.</summary>
    public virtual void OnTrainEnd(TrainingContext context) { }

    /// <summary>Counters to store in a checkpoint.</summary>
    public virtual IReadOnlyDictionary<string, double> GetState() => new Dictionary<string, double>();

    /// <summary>Restores counters from a checkpoint.</summary>
    public virtual void SetState(IReadOnlyDictionary<string, double> state) { }

    /// <summary>Whether <paramref name="current"/> improves on <paramref name="best"/> by more than <paramref name="minDelta"/> for the metric.</summary>
    protected static bool Improves(string monitor, double current, double best, double minDelta)
    {
        bool maximise = monitor.Contains("acc", StringComparison.Ordinal);
        if (double.IsNaN(current)) return false;
        if (double.IsNaN(best)) return true;
        return maximise ? current > best + minDelta : current < best - minDelta;
    }
}
