using CastingDefects.ML.Evaluation;
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
public sealed class ImageTransferTrainer : IEstimator<ITransformer>
{
    private readonly MLContext _mlContext;

    /// <summary>Creates the trainer; prefer <c>mlContext.BinaryClassification.Trainers.ImageTransfer(options)</c>.</summary>
    public ImageTransferTrainer(MLContext mlContext, ImageTransferOptions options)
    {
        _mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>The options.</summary>
    public ImageTransferOptions Options { get; }

    /// <summary>What the last <see cref="Fit"/> did: network, head history, timings, cache use.</summary>
    public TransferResult? Result { get; private set; }

    /// <summary>The decision threshold stored in the last fitted model.</summary>
    public float Threshold { get; private set; }

    /// <summary>The ONNX model of the last <see cref="Fit"/>.</summary>
    public byte[]? OnnxModel { get; private set; }

    /// <inheritdoc />
    public ITransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (train, validation) = TrainingViews.Read(_mlContext, input, Options.Image, Options.ValidationSet, Options.ValidationFraction, Options.Seed,
            Options.FeatureColumnName, Options.LabelColumnName, classes: 2);
        Result = TransferLearning.Fit(Options, train, validation, classes: 2);
        Threshold = Options.Threshold;
        if (Options.TargetRecall is { } recall)
        {
            if (Result.ValidationProbabilities is null) throw new InvalidOperationException("TargetRecall needs validation data (ValidationSet or ValidationFraction > 0).");
            Threshold = ThresholdSelection.ForTargetRecall(Result.ValidationLabels!.Select(l => l > 0.5f).ToArray(), Result.ValidationProbabilities, recall);
        }
        OnnxModel = Result.Network.ToOnnx(Threshold);
        return _mlContext.Transforms.ScoreWithOnnx(OnnxModel, Options.Image).Fit(input);
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => OutputSchemas.Binary(inputSchema, Options.FeatureColumnName);
}
