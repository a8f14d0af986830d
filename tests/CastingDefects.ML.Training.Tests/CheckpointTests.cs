using CastingDefects.ML.Training.Callbacks;
using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;

namespace CastingDefects.ML.Training.Tests;

public class CheckpointTests
{
    private static Sequential Net() => new Sequential((1, 24, 24), "ckpt")
        .Conv2D(6, 3, activation: Activation.ReLU).BatchNormalization().MaxPooling2D(2)
        .GlobalAveragePooling2D().Dense(8, Activation.ReLU).Dense(1, Activation.Sigmoid);

    [Fact]
    public void Resuming_from_the_last_checkpoint_reproduces_an_uninterrupted_run()
    {
        using var dir = new TempDir();
        var train = ToyData.Blobs(64, seed: 5);
        var val = ToyData.Blobs(32, seed: 6);

        using var straight = Net();
        var full = straight.Fit(train, val, epochs: 4, batchSize: 16, callbacks: [new ReduceLROnPlateau(patience: 1)],
            options: new FitOptions { Seed = 3, Threads = 1 });

        using (var first = Net())
            first.Fit(train, val, epochs: 2, batchSize: 16, callbacks: [new ReduceLROnPlateau(patience: 1)],
                options: new FitOptions { Seed = 3, Threads = 1, CheckpointDirectory = dir.Path });
        var state = Checkpoint.ReadState(Path.Combine(dir.Path, "last.ckpt"));
        Assert.Equal(2, state.Epoch);
        Assert.True(File.Exists(Path.Combine(dir.Path, "best.ckpt")));

        using var resumed = Net();
        var history = resumed.Fit(train, val, epochs: 4, batchSize: 16, callbacks: [new ReduceLROnPlateau(patience: 1)],
            options: new FitOptions { Seed = 3, Threads = 1, CheckpointDirectory = dir.Path, Resume = true });
        Assert.Equal(4, history.Epochs.Count);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(full.Epochs[i].Loss, history.Epochs[i].Loss, 6);
            Assert.Equal(full.Epochs[i].ValLoss, history.Epochs[i].ValLoss, 6);
            Assert.Equal(full.Epochs[i].LearningRate, history.Epochs[i].LearningRate, 12);
        }
        Assert.Equal(straight.ToOnnx(), resumed.ToOnnx());
    }

    [Fact]
    public void A_run_resumed_after_its_best_epoch_ends_with_the_best_epochs_weights()
    {
        using var dir = new TempDir();
        var train = ToyData.Blobs(64, seed: 5);
        // Validation labels inverted: the better the model learns, the worse val_loss gets, so the best epoch is the first.
        var val = ToyData.Blobs(32, seed: 6, invertLabels: true);
        static FitOptions Options(string? checkpoints, bool resume) => new() { Seed = 3, Threads = 1, LearningRate = 1e-2, CheckpointDirectory = checkpoints, Resume = resume };

        using var straight = Net();
        var straightStop = new EarlyStopping("val_loss", patience: 10, restoreBestWeights: true);
        straight.Fit(train, val, epochs: 4, batchSize: 16, callbacks: [straightStop], options: Options(null, false));
        Assert.True(straightStop.BestEpoch <= 2, $"best epoch {straightStop.BestEpoch}: the test needs it before the interruption");

        // "Killed" after epoch 2 (the process ends; only the checkpoint folder survives), then resumed to epoch 4.
        using (var first = Net())
            first.Fit(train, val, epochs: 2, batchSize: 16, callbacks: [new EarlyStopping("val_loss", patience: 10, restoreBestWeights: true)], options: Options(dir.Path, false));
        using var resumed = Net();
        var resumedStop = new EarlyStopping("val_loss", patience: 10, restoreBestWeights: true);
        var history = resumed.Fit(train, val, epochs: 4, batchSize: 16, callbacks: [resumedStop], options: Options(dir.Path, true));
        Assert.Equal(4, history.Epochs.Count);
        Assert.Equal(straightStop.BestEpoch, resumedStop.BestEpoch);
        Assert.Equal(straight.ToOnnx(), resumed.ToOnnx());

        // And those are not the last epoch's weights.
        using var last = Net();
        Checkpoint.LoadWeights(Path.Combine(dir.Path, "last.ckpt"), last);
        Assert.NotEqual(last.ToOnnx(), resumed.ToOnnx());
    }

    [Fact]
    public void Damaged_checkpoints_fail_naming_the_file()
    {
        using var dir = new TempDir();
        string path = dir.Combine("last.ckpt");
        File.WriteAllText(path, "garbage");
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadState(path));
        Assert.Contains(path, e.Message);
        Assert.Throws<FileNotFoundException>(() => Checkpoint.ReadState(dir.Combine("none.ckpt")));
    }

    [Fact]
    public void Weights_of_another_architecture_are_refused()
    {
        using var dir = new TempDir();
        using var a = Net();
        a.SaveWeights(dir.Combine("w.bin"));
        using var b = CastingArchitectures.Paper(true, 64);
        var e = Assert.Throws<InvalidDataException>(() => b.LoadWeights(dir.Combine("w.bin")));
        Assert.Contains("w.bin", e.Message);
    }
}
