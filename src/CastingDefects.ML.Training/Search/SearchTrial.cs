namespace CastingDefects.ML.Training.Search;

/// <summary>How a trial ended.</summary>
public enum TrialStatus
{
    /// <summary>Early stopping ended it (validation loss stopped improving) or it ran all its epochs.</summary>
    Converged,

    /// <summary>Its time slice ended it; it may still have been improving.</summary>
    StoppedByBudget,

    /// <summary>It did not finish (its time ran out before a first result, or it failed); see <see cref="SearchTrial.Error"/>.</summary>
    Failed,
}

/// <summary>One row of a search's leaderboard: a candidate trained once and scored on the validation images.</summary>
/// <param name="Candidate">What was trained.</param>
/// <param name="Status">How it ended.</param>
/// <param name="Parameters">Parameters of the network (0 when failed).</param>
/// <param name="Epochs">Epochs run.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation images (at the stored threshold for a binary model).</param>
/// <param name="ValidationDefectRecall">Binary: share of the validation defects caught; multiclass: null.</param>
/// <param name="ValidationAuc">Binary: ROC AUC on the validation images; multiclass: null.</param>
/// <param name="ValidationLoss">Best validation loss during training.</param>
/// <param name="TrainSeconds">Time of the trial (features, training, scoring).</param>
/// <param name="MillisecondsPerImage">ONNX Runtime latency per image of the exported network (one thread, batch 1).</param>
/// <param name="Error">Why it failed, or null.</param>
public sealed record SearchTrial(SearchCandidate Candidate, TrialStatus Status, long Parameters, int Epochs, double ValidationAccuracy,
    double? ValidationDefectRecall, double? ValidationAuc, double ValidationLoss, double TrainSeconds, double MillisecondsPerImage, string? Error)
{
    /// <summary>Ranking: validation accuracy, then AUC, then the lower validation loss.</summary>
    internal (double, double, double) Rank => (Status == TrialStatus.Failed ? -1 : ValidationAccuracy, ValidationAuc ?? 0, -ValidationLoss);

    /// <summary>The status in words: converged, stopped by time, or failed with the error.</summary>
    public string StatusText => Status switch
    {
        TrialStatus.Converged => "converged",
        TrialStatus.StoppedByBudget => "stopped by time",
        _ => "failed: " + Error,
    };
}
