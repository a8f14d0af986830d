using System.Diagnostics;
using CastingDefects.ML.Training.Fitting;

namespace CastingDefects.ML.Training.Callbacks;

/// <summary>
/// Stops training when the time is up (TensorFlow Addons' <c>TimeStopping</c>): after an epoch, when another epoch as
/// long as the last would end after the deadline. It never cuts an epoch short, and stops one epoch early rather than
/// late, so a run keeps within its time. Put it after <see cref="EarlyStopping"/> with <c>restoreBestWeights</c> to end
/// on the best epoch.
/// </summary>
public sealed class TimeStopping : Callback
{
    private readonly TimeSpan _limit;
    private Stopwatch? _clock;

    /// <summary>Stops after <paramref name="limit"/> of training (counted from the start of <c>Fit</c>).</summary>
    public TimeStopping(TimeSpan limit)
    {
        if (limit <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(limit), limit, "The time limit must be positive.");
        _limit = limit;
    }

    /// <summary>True when the last fit was stopped by this callback (the model may still have been improving).</summary>
    public bool Stopped { get; private set; }

    /// <summary>
    /// False (default, Keras's behaviour): each fit gets the whole limit from its start. True: the limit covers every
    /// fit the callback takes part in, counted from the start of the first, e.g. a transfer model's head training and
    /// its fine-tuning, with the work between them.
    /// </summary>
    public bool AcrossFits { get; init; }

    /// <inheritdoc />
    public override void OnTrainBegin(TrainingContext context)
    {
        if (!AcrossFits || _clock is null) _clock = Stopwatch.StartNew();
        Stopped = false;
    }

    /// <inheritdoc />
    public override void OnEpochEnd(TrainingContext context, EpochLog log)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(log);
        if (_clock is null || context.StopTraining) return;
        if (_clock.Elapsed + TimeSpan.FromSeconds(log.Seconds) <= _limit) return;
        Stopped = true;
        context.StopTraining = true;
    }
}
