using CastingDefects.ML.Training.MLNet;
using System.Diagnostics;
using CastingDefects.ML.Training.Callbacks;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;
using CastingDefects.ML.Training.Models.Applications;
using CastingDefects.ML.Training.Models.Weights;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Transfer;

/// <summary>Result of <see cref="TransferLearning.Fit(ImageTransferOptions, ImageTensorData, ImageTensorData?, int)"/>.</summary>
/// <param name="Network">The whole network (preprocessing, frozen backbone, pooling, trained head), ready to export.</param>
/// <param name="History">Per-epoch history of head training.</param>
/// <param name="ValidationProbabilities">Probabilities of the validation samples (binary: defect; multiclass: N x K), or null.</param>
/// <param name="ValidationLabels">Labels of the validation samples, or null.</param>
/// <param name="FeatureExtraction">Time spent computing bottleneck features (zero when all came from the cache).</param>
/// <param name="HeadTraining">Time spent training the head.</param>
/// <param name="CachedFeatures">Samples whose features came from the cache.</param>
/// <param name="ComputedFeatures">Samples whose features were computed in this run.</param>
public sealed record TransferResult(Sequential Network, History History, float[]? ValidationProbabilities, IReadOnlyList<float>? ValidationLabels,
    TimeSpan FeatureExtraction, TimeSpan HeadTraining, int CachedFeatures, int ComputedFeatures)
{
    /// <summary>Time spent fine-tuning the backbone's last stage (zero when <see cref="ImageTransferOptions.FineTuneEpochs"/> is 0).</summary>
    public TimeSpan FineTuning { get; init; }

    /// <summary>True when the fine-tuned last stage lowered the validation loss and was kept in <see cref="Network"/>.</summary>
    public bool FineTuned { get; init; }
}

/// <summary>
/// Transfer learning on in-memory images: bottleneck features from a frozen pretrained backbone (cached), a head
/// trained on them with <see cref="Sequential.Fit"/>, and the head's weights put on top of the backbone.
/// </summary>
public static class TransferLearning
{
    /// <summary>Trains a head for <paramref name="classes"/> classes on <paramref name="train"/> (validation optional).</summary>
    public static TransferResult Fit(ImageTransferOptions options, ImageTensorData train, ImageTensorData? validation, int classes)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Fit(options, train, validation, classes, new TrainerRun(options.Seed ?? 42, options.CancellationToken, [.. options.Callbacks]));
    }

    /// <summary>As <see cref="Fit(ImageTransferOptions, ImageTensorData, ImageTensorData?, int)"/>, with the seed, token and callbacks the trainer resolved.</summary>
    internal static TransferResult Fit(ImageTransferOptions options, ImageTensorData train, ImageTensorData? validation, int classes, TrainerRun run)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "A classifier needs at least two classes.");
        set_num_threads(options.Threads ?? Environment.ProcessorCount);
        var image = options.Image;
        if (image.Width != image.Height) throw new ArgumentException("Transfer learning takes square images (Image.Width == Image.Height).", nameof(options));
        var head = classes > 2 ? HeadKind.SoftmaxN : options.Head;
        string backbonePath = options.BackbonePath ?? PretrainedResNet18.FindOnnxFile();
        var network = PretrainedResNet18.Create(image.Grayscale, image.Width, head, classes, freezeBackbone: true, seed: run.Seed, onnxPath: backbonePath);

        string workspace = options.WorkspacePath ?? Path.Combine(Path.GetTempPath(), "castingdefects-workspace");
        var fileInfo = new FileInfo(backbonePath);
        string backboneId = $"{options.Architecture.ToString().ToLowerInvariant()}-{image.Channels}x{image.Height}x{image.Width}-{fileInfo.Length:x}";
        int dimension = ((Functional)network.Layers[1]).OutputTensor.Shape.Channels;
        if (!options.ReuseFeatures && File.Exists(Path.Combine(workspace, $"features-{backboneId}.bin")))
            File.Delete(Path.Combine(workspace, $"features-{backboneId}.bin"));
        var cache = new BottleneckCache(workspace, backboneId, dimension);

        var clock = Stopwatch.StartNew();
        int cached = 0, computed = 0;
        var trainFeatures = Features(network, cache, train, options, run.CancellationToken, ref cached, ref computed);
        var validationFeatures = validation is null ? null : Features(network, cache, validation, options, run.CancellationToken, ref cached, ref computed);
        var extraction = computed == 0 ? TimeSpan.Zero : clock.Elapsed;

        clock.Restart();
        // The head trains on standardised features (per-feature mean 0, variance 1 over the training set): ImageNet
        // features are large and unevenly scaled, and Adam on raw features needs far more steps. The standardisation is
        // folded into the head's weights afterwards, so the exported network is unchanged in shape.
        var (mean, std) = Standardise(trainFeatures, validationFeatures, out var trainStd, out var validationStd);
        var headModel = CastingArchitectures.AddHead(new Sequential((dimension, 1, 1), "head").Flatten(), head, classes);
        var callbacks = new List<Callback>();
        if (validationStd is not null)
            callbacks.Add(new EarlyStopping("val_loss", options.EarlyStoppingPatience ?? int.MaxValue, restoreBestWeights: true));
        if (options.MetricsCallback is { } report) callbacks.Add(new LambdaCallback(onEpochEnd: (_, log) => report(log)));
        callbacks.AddRange(run.Callbacks);
        var history = headModel.Fit(trainStd, validationStd, options.Epochs, options.BatchSize, callbacks,
            new FitOptions { LearningRate = options.LearningRate, ClassWeights = options.ClassWeights, Seed = run.Seed, Threads = options.Threads, CancellationToken = run.CancellationToken, Verbose = options.Verbose });
        var headWeights = StateDict.Get(headModel);
        string dense = network.Layers[^1].Name;
        var w = headWeights[dense + ".weight"];
        var b = headWeights[dense + ".bias"];
        var folded = (float[])b.Values.Clone();
        var weights = (float[])w.Values.Clone();
        int units = (int)w.Shape[0];
        for (int o = 0; o < units; o++)
            for (int i = 0; i < dimension; i++)
            {
                weights[o * dimension + i] /= std[i];
                folded[o] -= weights[o * dimension + i] * mean[i];
            }
        var missing = StateDict.Load(network, new Dictionary<string, NamedTensor>
        {
            [dense + ".weight"] = new(w.Shape, weights),
            [dense + ".bias"] = new(b.Shape, folded),
        }).Where(name => name.StartsWith(dense + ".", StringComparison.Ordinal)).ToList();
        if (missing.Count > 0) throw new InvalidOperationException($"The head's weights did not fit the network: {string.Join(", ", missing)}.");
        float[]? probabilities = validationStd is null ? null : headModel.PredictProbabilities(validationStd);
        headModel.Dispose();
        var headTraining = clock.Elapsed;
        var fineTuning = TimeSpan.Zero;
        bool fineTuned = false;
        if (options.FineTuneEpochs > 0)
        {
            clock.Restart();
            double headLoss = history.Epochs.Count == 0 || validationStd is null ? double.NaN : history.Epochs.Min(e => e.ValLoss);
            var outcome = LastStageFineTuning.Run(network, PretrainedResNet18.ReadWeights(backbonePath), train, validation, options, run, history.Epochs.Count, headLoss,
                workspace, backboneId);
            history.Epochs.AddRange(outcome.History);
            if (outcome.Kept)
            {
                fineTuned = true;
                probabilities = outcome.ValidationProbabilities ?? probabilities;
            }
            fineTuning = clock.Elapsed;
        }
        return new TransferResult(network, history, probabilities, validation?.Labels, extraction, headTraining, cached, computed)
        {
            FineTuning = fineTuning,
            FineTuned = fineTuned,
        };
    }

    private static (float[] Mean, float[] Std) Standardise(ImageTensorData train, ImageTensorData? validation, out ImageTensorData trainStd, out ImageTensorData? validationStd)
    {
        int d = train.Shape.Channels;
        var (x, _) = train.Batch(Enumerable.Range(0, train.Count).ToArray());
        using var flat = x.reshape(train.Count, d);
        float[] mean = flat.mean([0]).data<float>().ToArray();
        float[] std = flat.std(0, unbiased: false).data<float>().ToArray().Select(s => Math.Max(s, 1e-3f)).ToArray();
        x.Dispose();
        trainStd = Apply(train);
        validationStd = validation is null ? null : Apply(validation);
        return (mean, std);

        ImageTensorData Apply(ImageTensorData data)
        {
            var (values, _) = data.Batch(Enumerable.Range(0, data.Count).ToArray());
            float[] raw = values.data<float>().ToArray();
            values.Dispose();
            for (long k = 0; k < raw.LongLength; k++) raw[k] = (raw[k] - mean[k % d]) / std[k % d];
            return ImageTensorData.FromFeatures(data.Shape, raw, data.Labels.ToArray(), data.Paths);
        }
    }

    /// <summary>The pooled backbone features of every sample, from the cache or computed in batches (and cached).</summary>
    private static ImageTensorData Features(Sequential network, BottleneckCache cache, ImageTensorData data, ImageTransferOptions options, CancellationToken cancellation, ref int cached, ref int computed)
    {
        var module = network.Module;
        module.eval();
        var blocks = module.Blocks;
        Tensor Backbone(Tensor x)
        {
            for (int b = 0; b < blocks.Count - 1; b++) x = blocks[b].forward(x); // everything but the head
            return x;
        }
        var features = cache.Features(data, new TensorShape(cache.Dimension, 1, 1), Backbone, options.BatchSize, cancellation, options.FeatureProgress, out int done);
        computed += done;
        cached += data.Count - done;
        return features;
    }
}
