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
    public static (Sequential Network, History History, ImageTensorData? Validation) Fit(MLContext mlContext, CastingCnnOptions options, IDataView input, int classes)
    {
        var image = options.Image;
        image.Validate();
        var shape = new TensorShape(image.Channels, image.Height, image.Width);

        IDataView trainView = input;
        IDataView? validationView = null;
        if (options.ValidationSet is not null)
            validationView = options.ValidationSet.Schema.GetColumnOrNull(options.FeatureColumnName) is null
                ? mlContext.Transforms.LoadCastingImages(image).Fit(options.ValidationSet).Transform(options.ValidationSet)
                : options.ValidationSet;
        else if (options.ValidationFraction > 0 && classes == 2)
        {
            var split = mlContext.Data.StratifiedSplit(input, options.ValidationFraction, options.Seed);
            (trainView, validationView) = (split.TrainSet, split.TestSet);
        }
        else if (options.ValidationFraction > 0)
        {
            var split = mlContext.Data.TrainTestSplit(input, options.ValidationFraction, seed: options.Seed);
            (trainView, validationView) = (split.TrainSet, split.TestSet);
        }

        var train = ImageTensorData.FromDataView(trainView, shape, options.FeatureColumnName, options.LabelColumnName);
        var validation = validationView is null ? null : ImageTensorData.FromDataView(validationView, shape, options.FeatureColumnName, options.LabelColumnName);
        var present = train.Labels.Distinct().Count();
        if (present < classes)
            throw new InvalidOperationException($"The training data has images of {present} of the {classes} classes; every class needs training images.");

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
        if (options.MetricsCallback is { } report) callbacks.Add(new LambdaCallback(report));

        var history = network.Fit(train, validation, options.Epochs, options.BatchSize, callbacks, new FitOptions
        {
            LearningRate = options.LearningRate, Seed = options.Seed, Augmentation = options.Augmentation, Threads = options.Threads,
            CheckpointDirectory = options.CheckpointDirectory, Resume = options.Resume, Progress = options.Progress,
            CancellationToken = options.CancellationToken,
        });
        return (network, history, validation);
    }

    private sealed class LambdaCallback(Action<EpochLog> report) : Callback
    {
        public override void OnEpochEnd(TrainingContext context, EpochLog log) => report(log);
    }
}
