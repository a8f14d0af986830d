using CastingDefects.ML.Training.Callbacks;
using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;

namespace CastingDefects.ML.Training.Tests;

public class FitTests
{
    private static Sequential SmallNet(string name = "small") => new Sequential((1, 24, 24), name)
        .Conv2D(8, 3, activation: Activation.ReLU).BatchNormalization().MaxPooling2D(2)
        .Conv2D(8, 3, activation: Activation.ReLU).BatchNormalization()
        .GlobalMaxPooling2D().Dense(16, Activation.ReLU).Dense(1, Activation.Sigmoid);

    [Fact]
    public void Fit_learns_a_learnable_signal_and_reports_keras_history()
    {
        var train = ToyData.Blobs(256, seed: 1);
        var validation = ToyData.Blobs(128, seed: 2);
        using var model = SmallNet();
        var progress = new List<TrainingProgress>();
        var history = model.Fit(train, validation, epochs: 8, batchSize: 32,
            options: new FitOptions { LearningRate = 3e-3, Seed = 5, Progress = new SyncProgress<TrainingProgress>(progress.Add) });
        Assert.Equal(8, history.Epochs.Count);
        Assert.Equal(Enumerable.Range(1, 8), history.Epochs.Select(e => e.Epoch));
        Assert.True(history.Epochs[^1].Loss < history.Epochs[0].Loss, "training loss did not fall");
        Assert.True(history.Epochs.Max(e => e.ValAccuracy) >= 0.9, $"validation accuracy only {history.Epochs.Max(e => e.ValAccuracy):P1}");
        Assert.All(history.Epochs, e => Assert.Equal(1e-3 * 3, e.LearningRate, 9));
        Assert.Equal(8 * 8, progress.Count); // 256 / 32 batches per epoch
        var probabilities = model.PredictProbabilities(validation);
        double accuracy = probabilities.Select((p, i) => (p >= 0.5f) == (validation.Labels[i] > 0.5f)).Count(ok => ok) / (double)validation.Count;
        Assert.True(accuracy >= 0.85, $"inference accuracy {accuracy:P1}");
    }

    [Fact]
    public void Fit_leaves_the_callers_options_unchanged()
    {
        var options = new FitOptions { Epochs = 7, BatchSize = 5 };
        using var model = SmallNet();
        var history = model.Fit(ToyData.Blobs(32), epochs: 1, batchSize: 16, options: options);
        Assert.Single(history.Epochs);
        Assert.Equal((7, 5), (options.Epochs, options.BatchSize));
    }

    [Fact]
    public void Same_seed_gives_the_same_weights()
    {
        var train = ToyData.Blobs(96, seed: 3);
        byte[] Run()
        {
            using var model = SmallNet();
            model.Fit(train, null, epochs: 2, batchSize: 16, options: new FitOptions { Seed = 9, Threads = 1 });
            return model.ToOnnx();
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Early_stopping_and_reduce_lr_follow_keras_rules()
    {
        var train = ToyData.Blobs(64, seed: 4);
        using var model = SmallNet();
        var stop = new EarlyStopping("val_loss", patience: 1, minDelta: 10, restoreBestWeights: true);
        var reduce = new ReduceLROnPlateau("val_loss", factor: 0.5, patience: 1, minDelta: 10);
        var history = model.Fit(train, train, epochs: 10, batchSize: 32, callbacks: [stop, reduce]);
        // min_delta 10 means no epoch after the first counts as an improvement: stop after epoch 2, halve lr once.
        Assert.Equal(2, history.Epochs.Count);
        Assert.Equal(2, stop.StoppedEpoch);
        Assert.Equal(1, stop.BestEpoch);
        Assert.Equal(1e-3, history.Epochs[1].LearningRate, 12);
    }

    [Fact]
    public void Mismatched_images_are_refused_with_both_shapes()
    {
        using var model = new Sequential((3, 24, 24)).Conv2D(4, 3).GlobalAveragePooling2D().Dense(1, Activation.Sigmoid);
        var e = Assert.Throws<ArgumentException>(() => model.Fit(ToyData.Blobs(8), epochs: 1));
        Assert.Contains("(None, 1, 24, 24)", e.Message);
        Assert.Contains("(None, 3, 24, 24)", e.Message);
    }

    [Fact]
    public void Cancellation_stops_between_batches()
    {
        using var cts = new CancellationTokenSource();
        using var model = SmallNet();
        int batches = 0;
        var options = new FitOptions
        {
            CancellationToken = cts.Token,
            Progress = new SyncProgress<TrainingProgress>(_ => { if (++batches == 3) cts.Cancel(); }),
        };
        Assert.Throws<OperationCanceledException>(() => model.Fit(ToyData.Blobs(256), epochs: 5, batchSize: 16, options: options));
        Assert.Equal(3, batches);
    }

    /// <summary>IProgress that reports synchronously (System.Progress posts to the thread pool).</summary>
    internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
