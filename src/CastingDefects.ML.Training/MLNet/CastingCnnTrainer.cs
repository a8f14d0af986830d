using CastingDefects.ML.Inference;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>
/// ML.NET estimator that trains a CNN on the <c>Features</c> column with TorchSharp and returns a transformer built on
/// ML.NET's ONNX transformer, producing <c>Score</c>, <c>Probability</c> and <c>PredictedLabel</c>. The fitted model
/// saves with <c>mlContext.Model.Save</c> and loads (with <c>LoadCastingModel</c>) without libtorch.
/// </summary>
public sealed class CastingCnnTrainer : CastingCnnTrainerBase
{
    /// <summary>Creates the trainer; prefer <c>mlContext.BinaryClassification.Trainers.CastingCnn(options)</c>.</summary>
    public CastingCnnTrainer(MLContext mlContext, CastingCnnOptions options) : base(mlContext, options) { }

    /// <summary>The decision threshold stored in the last fitted model.</summary>
    public float Threshold { get; private set; }

    /// <inheritdoc />
    public override ITransformer Fit(IDataView input)
    {
        var (network, validationView) = Train(input, classes: 2);
        (Threshold, OnnxModel) = TargetRecallThreshold.Export(MLContext, (t, m) => network.ToOnnx(t, m), Options.Threshold, Options.TargetRecall,
            Options.Image, validationView, Options.LabelColumnName);
        return MLContext.Transforms.ScoreWithOnnx(OnnxModel, Options.Image).Fit(input);
    }

    /// <inheritdoc />
    public override SchemaShape GetOutputSchema(SchemaShape inputSchema) => OutputSchemas.Binary(inputSchema, Options.FeatureColumnName);
}
