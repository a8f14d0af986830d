using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.Transfer;
using Microsoft.ML;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>
/// ML.NET multiclass estimator for transfer learning on three or more class folders: frozen pretrained backbone,
/// cached bottleneck features, a Dense(K, softmax) head; scored with ML.NET's ONNX transformer (<c>Score</c>,
/// <c>PredictedLabel</c> as a key over the class names).
/// </summary>
public sealed class ImageTransferMulticlassTrainer : IEstimator<ITransformer>
{
    private readonly MLContext _mlContext;

    /// <summary>Creates the trainer; prefer <c>mlContext.MulticlassClassification.Trainers.ImageTransfer(options)</c>.</summary>
    public ImageTransferMulticlassTrainer(MLContext mlContext, ImageTransferOptions options)
    {
        _mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>The options.</summary>
    public ImageTransferOptions Options { get; }

    /// <summary>What the last <see cref="Fit"/> did.</summary>
    public TransferResult? Result { get; private set; }

    /// <summary>Class names in key order.</summary>
    public IReadOnlyList<string>? ClassNames { get; private set; }

    /// <summary>The ONNX model of the last <see cref="Fit"/>.</summary>
    public byte[]? OnnxModel { get; private set; }

    /// <inheritdoc />
    public ITransformer Fit(IDataView input)
    {
        var classes = LabelKeys.ClassNames(input, Options.LabelColumnName, "BinaryClassification.Trainers.ImageTransfer");
        var (train, validation) = TrainingViews.Read(_mlContext, input, Options.Image, Options.ValidationSet, Options.ValidationFraction, Options.Seed,
            Options.FeatureColumnName, Options.LabelColumnName, classes.Count);
        Result = TransferLearning.Fit(Options, train, validation, classes.Count);
        ClassNames = classes;
        OnnxModel = Result.Network.ToOnnx(classes);
        return _mlContext.Transforms.ScoreWithOnnxMulticlass(_mlContext, OnnxModel, Options.Image, classes).Fit(input);
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => OutputSchemas.RequireFeatures(inputSchema, Options.FeatureColumnName);
}
