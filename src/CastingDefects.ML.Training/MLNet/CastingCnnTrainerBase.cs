using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Models;
using CastingDefects.ML.Training.Transfer;
using Microsoft.ML.Runtime;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>The CNN network source of <see cref="CastingCnnTrainer"/> and <see cref="CastingCnnMulticlassTrainer"/>: a network trained from scratch.</summary>
public abstract class CastingCnnTrainerBase : CastingTrainerBase<CastingCnnOptions>
{
    private protected CastingCnnTrainerBase(IHostEnvironment environment, CastingCnnOptions options, bool multiclass)
        : base(environment, options, multiclass, "CastingCnn") { }

    private protected override (Sequential Network, History History, TransferResult? Transfer) TrainNetwork(TrainingViews.Result views, int classes, TrainerRun run)
    {
        var (network, history) = CnnTraining.Fit(Options, views, classes, run);
        return (network, history, null);
    }
}
