using Microsoft.ML.Runtime;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>
/// ML.NET multiclass estimator for three or more class folders: trains a CNN (default: the paper's body with a
/// Dense(K, softmax) head) on <c>Features</c> and a key-typed <c>Label</c> (see <c>MapClassNamesToKey</c>), and returns
/// a transformer built on ML.NET's ONNX transformer producing <c>Score</c> (class probabilities) and
/// <c>PredictedLabel</c> (a key over the same class names), so <c>mlContext.MulticlassClassification.Evaluate</c>,
/// <c>Model.Save/Load</c> and prediction engines work with the core package.
/// </summary>
public sealed class CastingCnnMulticlassTrainer : CastingCnnTrainerBase
{
    /// <summary>Creates the trainer (an <c>MLContext</c> is an environment); prefer the catalog method.</summary>
    public CastingCnnMulticlassTrainer(IHostEnvironment environment, CastingCnnOptions options) : base(environment, options, multiclass: true) { }
}
