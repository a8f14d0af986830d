using CastingDefects.ML.Training.Callbacks;
using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>The CNN network source: builds the architecture (with a fitted ZCA in front when asked) and fits it on the images.</summary>
internal static class CnnTraining
{
    public static (Sequential Network, History History) Fit(CastingCnnOptions options, TrainingViews.Result views, int classes, TrainerRun run)
    {
        var (train, validation, _) = views;
        var network = options.Architecture(options.Image, classes);
        if (network.InputShape != train.Shape)
            throw new InvalidOperationException($"The architecture takes {network.InputShape} but the images are {train.Shape}.");
        if (network.Classes != classes)
            throw new InvalidOperationException($"The architecture separates {network.Classes} classes; the data has {classes}.");
        if (options.ZcaPatchSize is { } patch) network = network.Prepend(ZcaWhitening.Fit(train, patch, seed: run.Seed));

        var callbacks = new List<Callback>();
        if (validation is not null) // keep the best epoch; stop early only when asked
            callbacks.Add(new EarlyStopping("val_loss", options.EarlyStoppingPatience ?? int.MaxValue, restoreBestWeights: true));
        if (options.ReduceLearningRatePatience is { } lrPatience)
            callbacks.Add(new ReduceLROnPlateau(validation is null ? "loss" : "val_loss", 0.1, lrPatience));
        if (options.MetricsCallback is { } report) callbacks.Add(new LambdaCallback(onEpochEnd: (_, log) => report(log)));
        callbacks.AddRange(run.Callbacks);

        var history = network.Fit(train, validation, options.Epochs, options.BatchSize, callbacks, new FitOptions
        {
            LearningRate = options.LearningRate, ClassWeights = options.ClassWeights, Seed = run.Seed, Augmentation = options.Augmentation, Threads = options.Threads,
            CheckpointDirectory = options.CheckpointDirectory, Resume = options.Resume, Progress = options.Progress,
            CancellationToken = run.CancellationToken, Verbose = options.Verbose,
        });
        return (network, history);
    }
}
