using Microsoft.ML;

namespace CastingDefects.ML.Training.Search;

/// <summary>Options of <see cref="CastingModelSearch"/>.</summary>
public sealed class CastingModelSearchOptions
{
    /// <summary>How long the whole search may take (training, scoring and the choice; not the caller's final evaluation).</summary>
    public TimeSpan TimeBudget { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The validation images (a view with <c>ImagePath</c> and <c>Label</c>, as the trainers take): every candidate is
    /// ranked on them. Keep the test images out of it, so the final test figure stays honest.
    /// </summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>The candidates to try, in order; default <see cref="SearchCandidate.Portfolio"/> for the data.</summary>
    public IReadOnlyList<SearchCandidate>? Candidates { get; set; }

    /// <summary>
    /// Candidates tried, in order and sharing it equally, with the time left after both rungs (when the candidates ended
    /// early: converged, or capped by <see cref="MaxEpochs"/>). Default: <see cref="SearchCandidate.Reserves"/> for the
    /// data when <see cref="Candidates"/> is not set, none when it is.
    /// </summary>
    public IReadOnlyList<SearchCandidate>? Reserves { get; set; }

    /// <summary>The median shorter side of the images, for the default portfolio (default 300).</summary>
    public int SmallestImageSide { get; set; } = 300;

    /// <summary>Gray input (default) or RGB.</summary>
    public bool Grayscale { get; set; } = true;

    /// <summary>Most epochs of a CNN candidate (default 60); early stopping and the time slice usually end it sooner.</summary>
    public int MaxEpochs { get; set; } = 60;

    /// <summary>
    /// Epochs without a lower validation loss before a trial stops (default 10, Keras's usual; a fine-tuning trial,
    /// whose epochs are long, waits at most 6).
    /// </summary>
    public int EarlyStoppingPatience { get; set; } = 10;

    /// <summary>Batch size.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Seed of every trial (same seed, same candidates, same order).</summary>
    public int Seed { get; set; } = 42;

    /// <summary>TorchSharp threads (default all cores).</summary>
    public int? Threads { get; set; }

    /// <summary>Feature cache folder of the transfer candidates (default: a temporary folder, deleted afterwards).</summary>
    public string? WorkspacePath { get; set; }

    /// <summary>Called when a trial starts (its name and the time left) and after each one with its row.</summary>
    public IProgress<SearchProgress>? Progress { get; set; }

    /// <summary>Cancelled (Ctrl-C): the search stops and returns the best model so far.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>A shallow copy that ranks on <paramref name="validation"/> (the caller's options stay as they were).</summary>
    internal CastingModelSearchOptions WithValidation(IDataView validation)
    {
        var copy = (CastingModelSearchOptions)MemberwiseClone();
        copy.ValidationSet = validation;
        return copy;
    }
}

/// <summary>Progress of a search: a trial starting (<see cref="Finished"/> null) or finished.</summary>
/// <param name="Candidate">The trial's candidate.</param>
/// <param name="TimeLeft">Time left in the budget.</param>
/// <param name="Finished">The trial's row once it finished.</param>
public sealed record SearchProgress(SearchCandidate Candidate, TimeSpan TimeLeft, SearchTrial? Finished);
