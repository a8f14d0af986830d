using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Models;
using Microsoft.ML;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>What the binary and multiclass CNN trainers share: options, context and the results of the last fit.</summary>
public abstract class CastingCnnTrainerBase : IEstimator<ITransformer>
{
    /// <summary>Creates the trainer.</summary>
    private protected CastingCnnTrainerBase(MLContext mlContext, CastingCnnOptions options)
    {
        MLContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>The context used for the transforms the trainer builds.</summary>
    private protected MLContext MLContext { get; }

    /// <summary>The options.</summary>
    public CastingCnnOptions Options { get; }

    /// <summary>The network of the last <see cref="Fit"/>.</summary>
    public Sequential? Network { get; private protected set; }

    /// <summary>Per-epoch history of the last <see cref="Fit"/>.</summary>
    public History? History { get; private protected set; }

    /// <summary>The ONNX model of the last <see cref="Fit"/>.</summary>
    public byte[]? OnnxModel { get; private protected set; }

    /// <inheritdoc />
    public abstract ITransformer Fit(IDataView input);

    /// <inheritdoc />
    public abstract SchemaShape GetOutputSchema(SchemaShape inputSchema);

    /// <summary>Trains the network for <paramref name="classes"/> classes, records the results, returns the validation view (with features).</summary>
    private protected (Sequential Network, IDataView? ValidationView) Train(IDataView input, int classes)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (network, history, validationView) = CnnTraining.Fit(MLContext, Options, input, classes);
        Network = network;
        History = history;
        return (network, validationView);
    }
}
