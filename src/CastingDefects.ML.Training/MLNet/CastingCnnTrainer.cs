using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.Callbacks;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>
/// ML.NET estimator that trains a CNN on the <c>Features</c> column with TorchSharp and returns a transformer built on
/// ML.NET's ONNX transformer, producing <c>Score</c>, <c>Probability</c> and <c>PredictedLabel</c>. The fitted model
/// saves with <c>mlContext.Model.Save</c> and loads (with <c>LoadCastingModel</c>) without libtorch.
/// </summary>
public sealed class CastingCnnTrainer : IEstimator<ITransformer>
{
    private readonly MLContext _mlContext;

    /// <summary>Creates the trainer; prefer <c>mlContext.BinaryClassification.Trainers.CastingCnn(options)</c>.</summary>
    public CastingCnnTrainer(MLContext mlContext, CastingCnnOptions options)
    {
        _mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>The options.</summary>
    public CastingCnnOptions Options { get; }

    /// <summary>The network of the last <see cref="Fit"/>.</summary>
    public Sequential? Network { get; private set; }

    /// <summary>Per-epoch history of the last <see cref="Fit"/>.</summary>
    public History? History { get; private set; }

    /// <summary>The ONNX model of the last <see cref="Fit"/>.</summary>
    public byte[]? OnnxModel { get; private set; }

    /// <inheritdoc />
    public ITransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var image = Options.Image;
        image.Validate();
        var shape = new TensorShape(image.Channels, image.Height, image.Width);

        IDataView trainView = input, validationView;
        if (Options.ValidationSet is not null)
            validationView = Options.ValidationSet.Schema.GetColumnOrNull(Options.FeatureColumnName) is null
                ? _mlContext.Transforms.LoadCastingImages(image).Fit(Options.ValidationSet).Transform(Options.ValidationSet)
                : Options.ValidationSet;
        else if (Options.ValidationFraction > 0)
        {
            var split = _mlContext.Data.StratifiedSplit(input, Options.ValidationFraction, Options.Seed);
            (trainView, validationView) = (split.TrainSet, split.TestSet);
        }
        else validationView = null!;

        var train = ImageTensorData.FromDataView(trainView, shape, Options.FeatureColumnName, Options.LabelColumnName);
        var validation = validationView is null ? null : ImageTensorData.FromDataView(validationView, shape, Options.FeatureColumnName, Options.LabelColumnName);
        if (train.PositiveCount == 0 || train.PositiveCount == train.Count)
            throw new InvalidOperationException($"The training data has {train.PositiveCount} defect and {train.Count - train.PositiveCount} good images; both classes are needed.");

        var network = Options.Architecture(image);
        if (Options.ZcaPatchSize is { } patch) network = network.Prepend(ZcaWhitening.Fit(train, patch, seed: Options.Seed));
        if (network.InputShape != shape)
            throw new InvalidOperationException($"The architecture takes {network.InputShape} but the images are {shape}.");
        var callbacks = new List<Callback>();
        if (Options.EarlyStoppingPatience is { } patience && validation is not null)
            callbacks.Add(new EarlyStopping("val_loss", patience, restoreBestWeights: true));
        if (Options.ReduceLearningRatePatience is { } lrPatience)
            callbacks.Add(new ReduceLROnPlateau(validation is null ? "loss" : "val_loss", 0.1, lrPatience));
        if (Options.MetricsCallback is { } report) callbacks.Add(new LambdaCallback(report));

        History = network.Fit(train, validation, Options.Epochs, Options.BatchSize, callbacks, new FitOptions
        {
            LearningRate = Options.LearningRate, Seed = Options.Seed, Augmentation = Options.Augmentation, Threads = Options.Threads,
            CheckpointDirectory = Options.CheckpointDirectory, Resume = Options.Resume, Progress = Options.Progress,
            CancellationToken = Options.CancellationToken,
        });
        if (validation is not null && callbacks.OfType<EarlyStopping>().FirstOrDefault() is null && Options.CheckpointDirectory is { } dir
            && File.Exists(Path.Combine(dir, Trainer.BestCheckpoint)))
            Checkpoint.LoadWeights(Path.Combine(dir, Trainer.BestCheckpoint), network);

        Network = network;
        OnnxModel = network.ToOnnx(Options.Threshold);
        var scorer = _mlContext.Transforms.ScoreWithOnnx(OnnxModel, image);
        return scorer.Fit(input);
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var features = inputSchema.FirstOrDefault(c => c.Name == Options.FeatureColumnName);
        if (features.Name is null)
            throw new ArgumentException($"The input has no '{Options.FeatureColumnName}' column; put LoadCastingImages(...) before the trainer.", nameof(inputSchema));
        // The output adds the scalar Score, Probability and PredictedLabel columns; SchemaShape has no public builder,
        // so describe them through a DataViewSchema and ML.NET's own conversion.
        var builder = new DataViewSchema.Builder();
        builder.AddColumn("Score", NumberDataViewType.Single);
        builder.AddColumn("Probability", NumberDataViewType.Single);
        builder.AddColumn("PredictedLabel", BooleanDataViewType.Instance);
        var create = typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic, [typeof(DataViewSchema)]);
        var added = (SchemaShape?)create?.Invoke(null, [builder.ToSchema()]);
        if (added is null) return inputSchema;
        var columns = inputSchema.Where(c => added.All(a => a.Name != c.Name)).Concat(added).ToArray();
        return (SchemaShape)Activator.CreateInstance(typeof(SchemaShape), System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic,
            null, [columns.AsEnumerable()], null)!;
    }

    private sealed class LambdaCallback(Action<EpochLog> report) : Callback
    {
        public override void OnEpochEnd(TrainingContext context, EpochLog log) => report(log);
    }
}
