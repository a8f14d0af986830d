using CastingDefects.ML.Inference;
using CastingDefects.ML.Runtime;
using CastingDefects.ML.Training.Callbacks;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>
/// The one design of this library's classifier trainers: a network source (a CNN from scratch, a frozen pretrained
/// backbone with a cached head) times a task (binary, multiclass). The source trains a network on the views; this class
/// reads and splits the data, resolves the seed and cancellation against the caller's <see cref="MLContext"/>, logs to
/// it, exports the network (with the threshold of a binary task) and returns the typed fitted transformer.
/// </summary>
/// <typeparam name="TOptions">The source's options.</typeparam>
public abstract class CastingTrainerBase<TOptions> : IEstimator<CastingPredictionTransformer>
    where TOptions : CastingTrainerOptions
{
    private readonly IHostEnvironment _environment;
    private readonly bool _multiclass;
    private readonly string _name;

    private protected CastingTrainerBase(IHostEnvironment environment, TOptions options, bool multiclass, string name)
    {
        _environment = environment ?? throw new ArgumentNullException(nameof(environment));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        _multiclass = multiclass;
        _name = name;
    }

    /// <summary>The options.</summary>
    public TOptions Options { get; }

    /// <summary>Trains on <paramref name="input"/> (with the feature column of <c>LoadCastingImages</c>) and returns the fitted transformer.</summary>
    public CastingPredictionTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (_multiclass && Options.ClassWeights is not null)
            throw new ArgumentException($"{nameof(CastingTrainerOptions.ClassWeights)} weigh the good and the defect class of a binary trainer; leave them null for {_name} on several classes.", nameof(input));
        var transforms = MLNetInternals.Transforms(_environment);
        IReadOnlyList<string> classNames = _multiclass
            ? LabelKeys.ClassNames(input, Options.LabelColumnName, $"BinaryClassification.Trainers.{_name}")
            : ["good", "defect"];
        int seed = Options.Seed ?? MLNetInternals.Seed(_environment) ?? 42;
        var host = _environment.Register(_name);
        using var channel = host.Start("Fit");
        // mlContext.CancelExecution() has no event: it is polled, and cancels the run's token between batches.
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Options.CancellationToken);
        using var poll = new Timer(_ => { if (MLNetInternals.IsCanceled(_environment)) cancellation.Cancel(); }, null, 100, 100);
        var run = new TrainerRun(seed, cancellation.Token, [new ContextLogCallback(channel, Options.Epochs), .. Options.Callbacks]);

        var views = TrainingViews.Read(transforms, MLNetInternals.Data(_environment), input, Options.Image, Options.ValidationSet, Options.ValidationFraction, seed,
            Options.FeatureColumnName, Options.LabelColumnName, classNames.Count);
        var (network, history, transfer) = TrainNetwork(views, classNames.Count, run);
        try
        {
            float threshold = 0.5f;
            byte[] onnx;
            ITransformer scorer;
            if (_multiclass)
            {
                onnx = network.ToOnnx(classNames);
                scorer = transforms.ScoreWithOnnxMulticlass(onnx, Options.Image, classNames).Fit(input);
            }
            else
            {
                (threshold, onnx) = TargetRecallThreshold.Export(transforms, (t, m) => network.ToOnnx(t, m), Options.Threshold, Options.TargetRecall,
                    Options.Image, views.ValidationView, Options.LabelColumnName);
                scorer = transforms.ScoreWithOnnx(onnx, Options.Image).Fit(input);
            }
            channel.Info(MessageSensitivity.None, $"{network.Name}: best epoch {history.BestEpoch} of {history.Epochs.Count}, threshold {threshold}");
            return new CastingPredictionTransformer(scorer, new CastingClassifierModel(network, history, onnx, threshold, classNames, Options.Image, transfer));
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>The input plus the columns of the task: <c>Score</c>, <c>Probability</c>, <c>PredictedLabel</c> (binary) or <c>Score</c> and a key <c>PredictedLabel</c> (multiclass).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => _multiclass
        ? OutputSchemas.Multiclass(inputSchema, Options.FeatureColumnName)
        : OutputSchemas.Binary(inputSchema, Options.FeatureColumnName);

    /// <summary>The network source: trains a network for <paramref name="classes"/> classes on the views.</summary>
    private protected abstract (Models.Sequential Network, Fitting.History History, Transfer.TransferResult? Transfer) TrainNetwork(
        TrainingViews.Result views, int classes, TrainerRun run);
}
