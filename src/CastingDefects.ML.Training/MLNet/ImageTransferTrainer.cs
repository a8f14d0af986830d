using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.Transfer;
using Microsoft.ML;

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
    /// <summary>Creates the trainer; prefer <c>mlContext.BinaryClassification.Trainers.ImageTransfer(options)</c>.</summary>
    public ImageTransferTrainer(MLContext mlContext, ImageTransferOptions options) : base(mlContext, options) { }

    /// <summary>The decision threshold stored in the last fitted model.</summary>
    public float Threshold { get; private set; }

    /// <inheritdoc />
    public override ITransformer Fit(IDataView input)
    {
        var result = Train(input, classes: 2);
        (Threshold, OnnxModel) = TargetRecallThreshold.Export(MLContext, (t, m) => result.Network.ToOnnx(t, m), Options.Threshold, Options.TargetRecall,
            Options.Image, ValidationView, Options.LabelColumnName);
        return MLContext.Transforms.ScoreWithOnnx(OnnxModel, Options.Image).Fit(input);
    }

    /// <inheritdoc />
    public override SchemaShape GetOutputSchema(SchemaShape inputSchema) => OutputSchemas.Binary(inputSchema, Options.FeatureColumnName);
}
