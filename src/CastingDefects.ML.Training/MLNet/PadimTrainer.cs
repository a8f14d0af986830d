using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.Anomaly;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Runtime;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>
/// ML.NET anomaly-detection estimator that learns from images of good parts only (<see cref="Padim"/>): rows labelled
/// true (defects) are not fitted; without a label column every row is taken as good. The fitted model scores with ML.NET's
/// ONNX transformer: <c>Score</c> (higher = more anomalous; 0 at the threshold), <c>Probability</c> and
/// <c>PredictedLabel</c>, as ML.NET's anomaly evaluators expect; it saves with <c>mlContext.Model.Save</c> and loads with
/// the core package alone. Prefer <c>mlContext.AnomalyDetection.Trainers.Padim(options)</c>.
/// </summary>
public sealed class PadimTrainer : IEstimator<ITransformer>
{
    private readonly TransformsCatalog _transforms;

    /// <summary>Creates the trainer (an <c>MLContext</c> is an environment).</summary>
    public PadimTrainer(IHostEnvironment environment, PadimOptions options)
    {
        _transforms = MLNetInternals.Transforms(environment ?? throw new ArgumentNullException(nameof(environment)));
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>The options.</summary>
    public PadimOptions Options { get; }

    /// <summary>The detector of the last <see cref="Fit"/>: ONNX graph, threshold, memory bank size, timings.</summary>
    public PadimModel? Model { get; private set; }

    /// <inheritdoc />
    public ITransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Options.Validate();
        var image = Options.Image;
        var shape = new TensorShape(image.Channels, image.Height, image.Width);
        var train = ImageTensorData.FromDataView(input, shape, Options.FeatureColumnName, Options.LabelColumnName, labelRequired: false);
        ImageTensorData? validation = null;
        if (Options.ValidationSet is { } given)
        {
            var view = given.Schema.GetColumnOrNull(Options.FeatureColumnName) is null
                ? _transforms.LoadCastingImages(image).Fit(given).Transform(given)
                : given;
            validation = ImageTensorData.FromDataView(view, shape, Options.FeatureColumnName, Options.LabelColumnName, labelRequired: false);
        }
        Model = Padim.Fit(Options, train, validation);
        return _transforms.ScoreWithOnnx(Model.Onnx, image).Fit(input);
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => OutputSchemas.Binary(inputSchema, Options.FeatureColumnName);
}
