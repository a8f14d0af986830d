using CastingDefects.ML.Training.Fitting;

namespace CastingDefects.ML.Training.Callbacks;

/// <summary>Hands each epoch's log to a delegate (the trainers' <c>MetricsCallback</c> option).</summary>
internal sealed class EpochReporter(Action<EpochLog> report) : Callback
{
    public override void OnEpochEnd(TrainingContext context, EpochLog log) => report(log);
}
