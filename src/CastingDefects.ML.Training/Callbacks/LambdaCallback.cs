using CastingDefects.ML.Training.Fitting;

namespace CastingDefects.ML.Training.Callbacks;

/// <summary>A callback made of delegates (Keras's <c>LambdaCallback</c>): for quick hooks without a class.</summary>
public sealed class LambdaCallback : Callback
{
    private readonly Action<TrainingContext>? _onTrainBegin;
    private readonly Action<TrainingContext, EpochLog>? _onEpochEnd;
    private readonly Action<TrainingContext>? _onTrainEnd;

    /// <summary>Creates the callback; each delegate is optional.</summary>
    public LambdaCallback(Action<TrainingContext>? onTrainBegin = null, Action<TrainingContext, EpochLog>? onEpochEnd = null, Action<TrainingContext>? onTrainEnd = null)
    {
        _onTrainBegin = onTrainBegin;
        _onEpochEnd = onEpochEnd;
        _onTrainEnd = onTrainEnd;
    }

    /// <inheritdoc />
    public override void OnTrainBegin(TrainingContext context) => _onTrainBegin?.Invoke(context);

    /// <inheritdoc />
    public override void OnEpochEnd(TrainingContext context, EpochLog log) => _onEpochEnd?.Invoke(context, log);

    /// <inheritdoc />
    public override void OnTrainEnd(TrainingContext context) => _onTrainEnd?.Invoke(context);
}
