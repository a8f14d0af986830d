using CastingDefects.ML.Data;
using CastingDefects.ML.Training.Callbacks;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;
using Microsoft.ML;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>What the binary and multiclass trainers share: reading the views, building, fitting.</summary>
internal static class CnnTraining
{
    public static (Sequential Network, History History, IDataView? ValidationView) Fit(MLContext mlContext, CastingCnnOptions options, IDataView input, int classes)
    {
        var image = options.Image;
        var (train, validation, validationView) = TrainingViews.Read(mlContext, input, image, options.ValidationSet, options.ValidationFraction, options.Seed,
            options.FeatureColumnName, options.LabelColumnName, classes);
        var shape = train.Shape;

        var network = options.Architecture(image, classes);
        if (network.InputShape != shape)
            throw new InvalidOperationException($"The architecture takes {network.InputShape} but the images are {shape}.");
        if (network.Classes != classes)
            throw new InvalidOperationException($"The architecture separates {network.Classes} classes; the data has {classes}.");
        if (options.ZcaPatchSize is { } patch) network = network.Prepend(ZcaWhitening.Fit(train, patch, seed: options.Seed));

        var callbacks = new List<Callback>();
        if (validation is not null) // keep the best epoch; stop early only when asked
            callbacks.Add(new EarlyStopping("val_loss", options.EarlyStoppingPatience ?? int.MaxValue, restoreBestWeights: true));
        if (options.ReduceLearningRatePatience is { } lrPatience)
            callbacks.Add(new ReduceLROnPlateau(validation is null ? "loss" : "val_loss", 0.1, lrPatience));
        if (options.MetricsCallback is { } report) callbacks.Add(new LambdaCallback(onEpochEnd: (_, log) => report(log)));
        callbacks.AddRange(options.Callbacks);

        var history = network.Fit(train, validation, options.Epochs, options.BatchSize, callbacks, new FitOptions
        {
            LearningRate = options.LearningRate, Seed = options.Seed, Augmentation = options.Augmentation, Threads = options.Threads,
            CheckpointDirectory = options.CheckpointDirectory, Resume = options.Resume, Progress = options.Progress,
            CancellationToken = options.CancellationToken, Verbose = options.Verbose,
        });
        return (network, history, validationView);
    }
}
