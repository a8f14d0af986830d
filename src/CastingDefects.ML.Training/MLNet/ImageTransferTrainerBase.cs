using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Models;
using CastingDefects.ML.Training.Transfer;
using Microsoft.ML.Runtime;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>
/// The transfer network source of <see cref="ImageTransferTrainer"/> and <see cref="ImageTransferMulticlassTrainer"/>:
/// a frozen pretrained backbone whose bottleneck features are cached, and a head trained on them.
/// </summary>
public abstract class ImageTransferTrainerBase : CastingTrainerBase<ImageTransferOptions>
{
    private protected ImageTransferTrainerBase(IHostEnvironment environment, ImageTransferOptions options, bool multiclass)
        : base(environment, options, multiclass, "ImageTransfer") { }

    private protected override (Sequential Network, History History, TransferResult? Transfer) TrainNetwork(TrainingViews.Result views, int classes, TrainerRun run)
    {
        var result = TransferLearning.Fit(Options, views.Train, views.Validation, classes, run);
        return (result.Network, result.History, result);
    }
}
