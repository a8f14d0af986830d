using CastingDefects.ML.Training.Transfer;
using Microsoft.ML.Runtime;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>
/// ML.NET multiclass estimator for transfer learning on three or more class folders: frozen pretrained backbone,
/// cached bottleneck features, a Dense(K, softmax) head; scored with ML.NET's ONNX transformer (<c>Score</c>,
/// <c>PredictedLabel</c> as a key over the class names).
/// </summary>
public sealed class ImageTransferMulticlassTrainer : ImageTransferTrainerBase
{
    /// <summary>Creates the trainer (an <c>MLContext</c> is an environment); prefer the catalog method.</summary>
    public ImageTransferMulticlassTrainer(IHostEnvironment environment, ImageTransferOptions options) : base(environment, options, multiclass: true) { }
}
