using Microsoft.ML.Runtime;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>
/// ML.NET estimator that trains a CNN on the <c>Features</c> column with TorchSharp and returns a <see cref="CastingPredictionTransformer"/> built on
/// ML.NET's ONNX transformer, producing <c>Score</c>, <c>Probability</c> and <c>PredictedLabel</c>. The fitted model
/// saves with <c>mlContext.Model.Save</c> and loads (with <c>LoadCastingModel</c>) without libtorch.
/// </summary>
public sealed class CastingCnnTrainer : CastingCnnTrainerBase
{
    /// <summary>Creates the trainer (an <c>MLContext</c> is an environment); prefer the catalog method.</summary>
    public CastingCnnTrainer(IHostEnvironment environment, CastingCnnOptions options) : base(environment, options, multiclass: false) { }
}
