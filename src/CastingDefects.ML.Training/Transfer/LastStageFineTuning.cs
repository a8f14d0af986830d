using CastingDefects.ML.Training.Callbacks;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.MLNet;
using CastingDefects.ML.Training.Models;
using CastingDefects.ML.Training.Models.Applications;
using CastingDefects.ML.Training.Models.Weights;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Transfer;

/// <summary>
/// The second step of Keras's transfer-learning recipe: once the head has learned on frozen features, unfreeze the
/// backbone's last stage and train it with the head at a low learning rate. The first three stages stay frozen, so
/// their output (256 x 14 x 14 values at 224 px, 200 KB per image) is computed once per image and kept in memory;
/// each epoch then runs only the last stage, on its 7x7 grid. Its BatchNormalization layers stay in inference mode
/// (Keras's advice for fine-tuning: batch statistics of a small dataset would overwrite the pretrained ones). The
/// fine-tuned weights are kept only when they lower the validation loss of the head alone.
/// </summary>
internal static class LastStageFineTuning
{
    /// <summary>What fine-tuning did.</summary>
    /// <param name="History">Its epochs (numbered after the head's).</param>
    /// <param name="Kept">True when the fine-tuned weights replaced the head-only ones.</param>
    /// <param name="ValidationProbabilities">The kept model's validation probabilities (null without validation or when not kept).</param>
    public sealed record Outcome(IReadOnlyList<EpochLog> History, bool Kept, float[]? ValidationProbabilities);

    /// <summary>
    /// Fine-tunes the last stage and head of <paramref name="network"/> (a <see cref="PretrainedResNet18"/> with its
    /// trained head) on the images; copies the weights into <paramref name="network"/> when they are kept.
    /// </summary>
    /// <param name="network">The transfer network, its head trained.</param>
    /// <param name="pretrained">The backbone's pretrained weights.</param>
    /// <param name="train">Training images.</param>
    /// <param name="validation">Validation images, or null.</param>
    /// <param name="options">The trainer's options (fine-tuning epochs, learning rate, patience, checkpoints).</param>
    /// <param name="run">Seed, cancellation and the caller's callbacks.</param>
    /// <param name="firstEpoch">Epochs the head ran (fine-tuning's are numbered after them).</param>
    /// <param name="headValidationLoss">The head's best validation loss, to beat.</param>
    /// <param name="workspace">Folder of the feature caches: the third stage's output is cached there too.</param>
    /// <param name="backboneId">The backbone file and input, naming the cache.</param>
    public static Outcome Run(Sequential network, IReadOnlyDictionary<string, NamedTensor> pretrained, ImageTensorData train, ImageTensorData? validation,
        ImageTransferOptions options, TrainerRun run, int firstEpoch, double headValidationLoss, string workspace, string backboneId)
    {
        var blocks = PretrainedResNet18.BlocksPerStage(pretrained);
        var image = options.Image;
        ImageTensorData trainFeatures;
        ImageTensorData? validationFeatures;
        using (var trunk = new Trunk(image, blocks, pretrained))
        {
            string id = "stage3-" + backboneId;
            if (!options.ReuseFeatures && File.Exists(Path.Combine(workspace, $"features-{id}.bin"))) File.Delete(Path.Combine(workspace, $"features-{id}.bin"));
            var cache = new BottleneckCache(workspace, id, (int)trunk.OutputShape.Size);
            trainFeatures = trunk.Features(train, cache, options.BatchSize, run.CancellationToken);
            validationFeatures = validation is null ? null : trunk.Features(validation, cache, options.BatchSize, run.CancellationToken);
        }

        var top = LastStage(trainFeatures.Shape, blocks[3], network);
        var before = StateDict.Get(network);
        var missing = StateDict.Load(top, before);
        if (missing.Count > 0) throw new InvalidOperationException($"The last stage's weights did not come from the network: {string.Join(", ", missing)}.");

        var callbacks = new List<Callback>();
        if (validationFeatures is not null)
            callbacks.Add(new EarlyStopping("val_loss", options.EarlyStoppingPatience ?? 5, restoreBestWeights: true));
        if (options.MetricsCallback is { } report) callbacks.Add(new LambdaCallback(onEpochEnd: (_, log) => report(log)));
        callbacks.AddRange(run.Callbacks);
        var history = top.Fit(trainFeatures, validationFeatures, options.FineTuneEpochs, options.BatchSize, callbacks, new FitOptions
        {
            LearningRate = options.FineTuneLearningRate, ClassWeights = options.ClassWeights, Seed = run.Seed, Threads = options.Threads,
            CancellationToken = run.CancellationToken, Verbose = options.Verbose,
            CheckpointDirectory = options.CheckpointDirectory, Resume = options.Resume,
        });
        var epochs = history.Epochs.Select(e => e with { Epoch = firstEpoch + e.Epoch }).ToList();
        double tunedLoss = validationFeatures is null || history.Epochs.Count == 0 ? double.NaN : history.Epochs.Min(e => e.ValLoss);
        bool keep = validationFeatures is null || (!double.IsNaN(tunedLoss) && (double.IsNaN(headValidationLoss) || tunedLoss < headValidationLoss));
        float[]? probabilities = null;
        if (keep)
        {
            var tuned = StateDict.Get(top);
            StateDict.Load(network, tuned);
            probabilities = validationFeatures is null ? null : top.PredictProbabilities(validationFeatures);
        }
        top.Dispose();
        return new Outcome(epochs, keep, probabilities);
    }

    /// <summary>
    /// The last stage alone on the third stage's output, then global average pooling and a head named as
    /// <paramref name="network"/>'s (so the two exchange weights by name); its BatchNormalization layers frozen.
    /// </summary>
    private static Sequential LastStage(TensorShape input, int blocks, Sequential network)
    {
        var x = Functional.Input((input.Channels, input.Height, input.Width));
        var stage = new Functional(x, ResNet18.Stage(x, 4, blocks), "layer4");
        foreach (var norm in stage.Layers.OfType<BatchNormalization>()) norm.Trainable = false;
        var top = new Sequential((input.Channels, input.Height, input.Width), network.Name + "-last-stage").Add(stage).GlobalAveragePooling2D();
        var head = (Dense)network.Layers[^1];
        top.Add(new Dense(head.Units, head.Activation).WithName(head.Name));
        top.Build(0);
        return top;
    }

    /// <summary>The frozen part: ImageNet preprocessing, the stem and the first three stages.</summary>
    private sealed class Trunk : IDisposable
    {
        private readonly nn.Module<Tensor, Tensor> _module;

        public Trunk(CastingDefects.ML.Data.CastingImageOptions image, IReadOnlyList<int> blocks, IReadOnlyDictionary<string, NamedTensor> weights)
        {
            var input = Functional.Input((image.Channels, image.Height, image.Width));
            var bgr = Rescaling.CaffeImageNet(image.Channels, PretrainedResNet18.Mean).WithName("imagenet_preprocessing").Call(input);
            var third = ResNet18.Stages(bgr, blocks, 3)[^1];
            var network = new Functional(input, third, "resnet18-stages-1-3");
            _module = network.Build(network.InputShape);
            var missing = StateDict.Load(network, _module, weights);
            if (missing.Count > 0) throw new InvalidDataException($"The ResNet18 weights lack {missing.Count} entries of the first three stages, e.g. '{missing[0]}'.");
            OutputShape = third.Shape;
        }

        public TensorShape OutputShape { get; }

        /// <summary>The third stage's output of every sample, from the cache or computed in batches (and cached).</summary>
        public ImageTensorData Features(ImageTensorData data, BottleneckCache cache, int batchSize, CancellationToken cancellation)
        {
            _module.eval();
            return cache.Features(data, OutputShape, _module.forward, batchSize, cancellation, progress: null, out _);
        }

        public void Dispose() => _module.Dispose();
    }
}
