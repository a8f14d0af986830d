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
    public void Fit_leaves_the_callers_options_unchanged_and_takes_each_value_from_one_place()
    {
        var options = new FitOptions { Epochs = 3, BatchSize = 5 };
        using var model = SmallNet();
        // The options alone decide: 3 epochs (not Fit's former default of 20).
        var history = model.Fit(ToyData.Blobs(32), options: options);
        Assert.Equal(3, history.Epochs.Count);
        // Fit's arguments alone decide.
        Assert.Single(model.Fit(ToyData.Blobs(32), epochs: 1, batchSize: 16).Epochs);
        // Both, differently: refused, naming both.
        var e = Assert.Throws<ArgumentException>(() => model.Fit(ToyData.Blobs(32), epochs: 1, options: options));
        Assert.Contains("epochs: 1", e.Message);
        Assert.Contains("FitOptions.Epochs is 3", e.Message);
        Assert.Throws<ArgumentException>(() => model.Fit(ToyData.Blobs(32), batchSize: 16, options: options));
        Assert.Equal((3, 5), (options.Epochs, options.BatchSize));
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
    public void Early_stopping_stops_after_patience_and_restores_the_best_epochs_weights()
    {
        var train = ToyData.Blobs(64, seed: 4);
        using var model = SmallNet();
        var weights = new List<Dictionary<string, float[]>>();
        var snapshot = new LambdaCallback(onEpochEnd: (context, _) => weights.Add(Weights(context.Model)));
        // min_delta 10: no epoch after the first counts as an improvement, so with patience 2 training stops after epoch 3.
        var stop = new EarlyStopping("val_loss", patience: 2, minDelta: 10, restoreBestWeights: true);
        var history = model.Fit(train, train, epochs: 10, batchSize: 32, callbacks: [snapshot, stop], options: new FitOptions { LearningRate = 1e-2 });
        Assert.Equal(3, history.Epochs.Count);
        Assert.Equal(3, stop.StoppedEpoch);
        Assert.Equal(1, stop.BestEpoch);
        var final = Weights(model);
        Assert.Equal(weights[0], final);          // epoch 1's weights are back
        Assert.NotEqual(weights[2], final);       // not the last epoch's
    }

    [Fact]
    public void Reduce_lr_on_plateau_multiplies_the_rate_by_its_factor_after_patience()
    {
        var train = ToyData.Blobs(64, seed: 4);
        using var model = SmallNet();
        var reduce = new ReduceLROnPlateau("val_loss", factor: 0.5, patience: 1, minDelta: 10);
        var history = model.Fit(train, train, epochs: 4, batchSize: 32, callbacks: [reduce], options: new FitOptions { LearningRate = 1e-3 });
        // Epoch 1 sets the best; epochs 2 and 3 do not improve by 10, so each halves the rate the next epoch runs at.
        Assert.Equal([1e-3, 1e-3, 5e-4, 2.5e-4], history.Epochs.Select(e => Math.Round(e.LearningRate, 12)));
    }

    [Fact]
    public void Gray_paper_cnn_trains_to_finite_repeatable_losses_on_two_threads()
    {
        // oneDNN's AVX-512 convolutions returned NaN (and different numbers run to run) for one gray plane on two threads
        // on an AVX-512 CPU; NativeMathSettings caps oneDNN at AVX2. This fails on such a CPU without the cap.
        var train = ToyData.Blobs(64, size: 64, seed: 8);
        double[] Run()
        {
            using var model = CastingArchitectures.Paper(grayscale: true, imageSize: 64);
            return model.Fit(train, train, epochs: 2, batchSize: 16, options: new FitOptions { Seed = 2, Threads = 2 })
                .Epochs.SelectMany(e => new[] { e.Loss, e.ValLoss }).ToArray();
        }
        var first = Run();
        Assert.All(first, loss => Assert.True(double.IsFinite(loss), $"loss {loss}"));
        Assert.Equal(first, Run());
        // The cap is in the environment libtorch reads (AVX2, unless whoever ran the tests chose another).
        Assert.Equal(CastingDefects.ML.Training.Runtime.NativeMathSettings.MaxCpuIsa, Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA"));
    }

    private static Dictionary<string, float[]> Weights(Sequential model) =>
        CastingDefects.ML.Training.Models.Weights.StateDict.Get(model).ToDictionary(kv => kv.Key, kv => kv.Value.Values.ToArray());

    [Fact]
    public void Verbose_writes_one_keras_line_per_epoch_with_the_historys_numbers()
    {
        var train = ToyData.Blobs(64, seed: 1);
        var validation = ToyData.Blobs(32, seed: 2);
        using var model = SmallNet();
        var output = new StringWriter();
        var history = model.Fit(train, validation, epochs: 2, batchSize: 32, options: new FitOptions { Verbose = 1, Output = output });
        var lines = output.ToString().TrimEnd().Split(Environment.NewLine);
        Assert.Equal(2, lines.Length); // no batch progress line into a writer: only the epoch lines
        for (int i = 0; i < 2; i++)
        {
            var e = history.Epochs[i];
            Assert.Matches(FormattableString.Invariant($@"^Epoch {i + 1}/2 - \d+\.\ds - loss: {e.Loss:F4} - accuracy: {e.Accuracy:F4} - val_loss: {e.ValLoss:F4} - val_accuracy: {e.ValAccuracy:F4} - learning_rate: 0\.001$"),
                lines[i]);
        }

        using var silent = SmallNet("silent");
        var none = new StringWriter();
        silent.Fit(train, validation, epochs: 1, batchSize: 32, options: new FitOptions { Output = none });
        Assert.Equal("", none.ToString()); // Verbose 0 is the library's default
        Assert.Throws<ArgumentOutOfRangeException>(() => silent.Fit(train, null, epochs: 1, batchSize: 32, options: new FitOptions { Verbose = 3 }));
    }

    [Fact]
    public void History_prints_as_a_table_with_the_best_epoch_marked()
    {
        var history = new History();
        history.Epochs.Add(new EpochLog(1, 0.69314, 0.5, 0.6, 0.625, 1e-3, 1.24));
        history.Epochs.Add(new EpochLog(2, 0.4, 0.875, 0.45, 0.9, 5e-4, 1.5));
        history.Epochs.Add(new EpochLog(3, 0.3, 0.9, 0.5, 0.85, 5e-4, 1.0));
        var lines = history.ToString().TrimEnd().Split(Environment.NewLine);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith(" epoch |   loss | accuracy | val_loss", lines[0]);
        Assert.Equal("    1  | 0.6931 |  50.00 % |   0.6000 |      62.50 % |    0.001 |     1.2", lines[2]);
        Assert.StartsWith("    2* | 0.4000 |", lines[3]); // lowest val_loss
        Assert.StartsWith("    3  |", lines[4]);
    }

    [Fact]
    public void Class_weights_are_refused_for_a_multiclass_head_instead_of_being_ignored()
    {
        using var model = new Sequential((1, 24, 24), "three").Conv2D(4, 3).GlobalAveragePooling2D().Dense(3, Activation.Softmax);
        var e = Assert.Throws<ArgumentException>(() => model.Fit(ToyData.Blobs(8), epochs: 1, options: new FitOptions { ClassWeights = (1, 3) }));
        Assert.Contains("3 classes", e.Message);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, -2)]
    [InlineData(1, double.PositiveInfinity)]
    [InlineData(double.NaN, 1)]
    public void Class_weights_must_be_positive_and_finite(double good, double defect)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new FitOptions { ClassWeights = (good, defect) }.Validate());
        Assert.Equal(nameof(FitOptions.ClassWeights), e.ParamName);
    }

    [Fact]
    public void Balanced_class_weights_make_both_classes_weigh_the_same_in_the_loss()
    {
        var (good, defect) = ClassWeighting.Balanced(1000, 250);
        Assert.Equal((0.625, 2.5), (good, defect));
        Assert.Equal(1000 * good, 250 * defect); // equal total weight per class
        Assert.Equal((1.0, 1.0), ClassWeighting.Balanced(40, 40));
        var e = Assert.Throws<ArgumentException>(() => ClassWeighting.Balanced(12, 0));
        Assert.Contains("defect 0", e.Message);
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
