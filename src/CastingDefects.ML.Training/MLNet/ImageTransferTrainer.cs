using CastingDefects.ML.Training.Transfer;
using Microsoft.ML.Runtime;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>
/// ML.NET binary estimator for transfer learning (ML.NET's <c>ImageClassificationTrainer</c> idea, offline): a frozen
/// ImageNet backbone turns each image into bottleneck features (cached in the workspace), a head trains on them, and
/// the whole network is exported to ONNX and scored with ML.NET's ONNX transformer: <c>Score</c>,
/// <c>Probability</c>, <c>PredictedLabel</c>. The fitted model saves with <c>mlContext.Model.Save</c> and loads with
/// the core package alone.
/// </summary>
public sealed class ImageTransferTrainer : ImageTransferTrainerBase
{
    /// <summary>Creates the trainer (an <c>MLContext</c> is an environment); prefer the catalog method.</summary>
    public ImageTransferTrainer(IHostEnvironment environment, ImageTransferOptions options) : base(environment, options, multiclass: false) { }
}
