using CastingDefects.ML.Training.Transfer;
using Microsoft.ML;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>What the binary and multiclass transfer-learning trainers share: options, context and the last fit's results.</summary>
public abstract class ImageTransferTrainerBase : IEstimator<ITransformer>
{
    /// <summary>Creates the trainer.</summary>
    private protected ImageTransferTrainerBase(MLContext mlContext, ImageTransferOptions options)
    {
        MLContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>The context used for the transforms the trainer builds.</summary>
    private protected MLContext MLContext { get; }

    /// <summary>The options.</summary>
    public ImageTransferOptions Options { get; }

    /// <summary>What the last <see cref="Fit"/> did: network, head history, timings, cache use.</summary>
    public TransferResult? Result { get; private set; }

    /// <summary>The validation data of the last fit, with its <c>Features</c> column, or null.</summary>
    private protected IDataView? ValidationView { get; private set; }

    /// <summary>The ONNX model of the last <see cref="Fit"/>.</summary>
    public byte[]? OnnxModel { get; private protected set; }

    /// <inheritdoc />
    public abstract ITransformer Fit(IDataView input);

    /// <inheritdoc />
    public abstract SchemaShape GetOutputSchema(SchemaShape inputSchema);

    /// <summary>Reads the views, extracts (or reuses) the features and trains the head for <paramref name="classes"/> classes.</summary>
    private protected TransferResult Train(IDataView input, int classes)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (train, validation, validationView) = TrainingViews.Read(MLContext, input, Options.Image, Options.ValidationSet, Options.ValidationFraction, Options.Seed,
            Options.FeatureColumnName, Options.LabelColumnName, classes);
        ValidationView = validationView;
        return Result = TransferLearning.Fit(Options, train, validation, classes);
    }
}
