using CastingDefects.ML.Training.MLNet;
using CastingDefects.ML.Training.Search;

namespace CastingDefects.ML.Training.Workflow;

/// <summary>Options of <see cref="CastingExperiment"/>: what to train, how to split the data, where to save.</summary>
public sealed class CastingExperimentOptions
{
    /// <summary>
    /// The trainer: <see cref="CastingCnnOptions"/> (a CNN from scratch) or <see cref="Transfer.ImageTransferOptions"/>
    /// (the pretrained ResNet18 with a trained head). Its validation settings are the experiment's. Null with
    /// <see cref="Search"/> set; null without it trains the paper's CNN at 128x128 gray.
    /// </summary>
    public CastingTrainerOptions? Trainer { get; set; }

    /// <summary>Instead of one trainer, a time-budgeted search over several (its validation set is the experiment's).</summary>
    public CastingModelSearchOptions? Search { get; set; }

    /// <summary>The model file to write (.zip); the ONNX network (.onnx) and the history (.history.json) go beside it.</summary>
    public string ModelPath { get; set; } = "casting.zip";

    /// <summary>
    /// Stratified share held out as the test set (default 0.2), split off first and used for nothing but the test metrics;
    /// 0: no test set.
    /// </summary>
    public double TestFraction { get; set; } = 0.2;

    /// <summary>Stratified share of the rest held out for validation (default 0.2): it picks the best epoch and the threshold.</summary>
    public double ValidationFraction { get; set; } = 0.2;

    /// <summary>Seed of the splits (default 42).</summary>
    public int Seed { get; set; } = 42;

    /// <summary>Folder for an HTML report of the held-out metrics (test set, else validation set); null for none.</summary>
    public string? ReportFolder { get; set; }

    /// <summary>
    /// Files written in the same atomic group as the model (all replaced together, or none): for example a network file
    /// or the search's leaderboard, made from what the fit produced.
    /// </summary>
    public Func<CastingClassifierModel, SearchResult?, IEnumerable<(string Path, Action<Stream> Write)>>? CompanionFiles { get; set; }

    /// <summary>Receives one line per step (the splits, the saved files).</summary>
    public Action<string>? Log { get; set; }
}
