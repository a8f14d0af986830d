using CastingDefects.ML.Augmentation;
using CastingDefects.ML.Training.Augmentation;

namespace CastingDefects.ML.Training.Fitting;

/// <summary>Settings of <c>Sequential.Fit</c>.</summary>
public sealed class FitOptions
{
    private int? _epochs;
    private int? _batchSize;

    /// <summary>Epochs to run (default 20, as the paper). Set it here or as <c>Fit</c>'s <c>epochs</c> argument, not both.</summary>
    public int Epochs { get => _epochs ?? 20; set => _epochs = value; }

    /// <summary>Samples per batch (default 32, as the paper). Set it here or as <c>Fit</c>'s <c>batchSize</c> argument, not both.</summary>
    public int BatchSize { get => _batchSize ?? 32; set => _batchSize = value; }

    /// <summary>Optimizer (default Adam).</summary>
    public OptimizerKind Optimizer { get; set; } = OptimizerKind.Adam;

    /// <summary>Initial learning rate (default 1e-3).</summary>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>Momentum for SGD (default 0.9).</summary>
    public double Momentum { get; set; } = 0.9;

    /// <summary>Loss weight of good (index 0) and defect (index 1) samples; null weighs all samples equally.</summary>
    public (double Good, double Defect)? ClassWeights { get; set; }

    /// <summary>Seed for weight initialisation, shuffling and augmentation (default 42).</summary>
    public int Seed { get; set; } = 42;

    /// <summary>Shuffle the training samples every epoch (default true).</summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>Random augmentation applied per sample and per epoch; null for none.</summary>
    public ImageAugmentation? Augmentation { get; set; }

    /// <summary>
    /// After each epoch, recompute BatchNormalization's moving statistics with the epoch's final weights over this
    /// many training samples (in order, without augmentation), so inference-mode validation and the exported model
    /// see statistics that match the weights ("precise BN"). 0 keeps Keras's moving averages alone. Default 1,024.
    /// </summary>
    public int BatchNormRecalibrationSamples { get; set; } = 1024;

    /// <summary>TorchSharp intra-op threads; null uses all cores.</summary>
    public int? Threads { get; set; }

    /// <summary>Receives progress after every batch.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

    /// <summary>
    /// Keras's <c>verbose</c>: 0 (default) is silent; 2 writes one line per epoch to <see cref="Output"/>
    /// (<see cref="EpochLog.ToKerasLine"/>); 1 does the same and, on an interactive console, also keeps a progress line
    /// of the epoch's batches up to date.
    /// </summary>
    public int Verbose { get; set; }

    /// <summary>Where <see cref="Verbose"/> writes; null is the console.</summary>
    public TextWriter? Output { get; set; }

    /// <summary>Stops training between batches; <c>Fit</c> then throws <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>Folder for checkpoints: <c>last.ckpt</c> after every epoch and <c>best.ckpt</c> on each improvement, both written atomically. Null disables them.</summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>Resume from <c>last.ckpt</c> in <see cref="CheckpointDirectory"/> when it exists (weights, optimizer, epoch, history, callbacks).</summary>
    public bool Resume { get; set; }

    /// <summary>
    /// A copy with the epochs and batch size given to <c>Fit</c>, where given. Each value has one place: a value given
    /// both here and in the options, differently, is refused rather than one silently winning.
    /// </summary>
    internal FitOptions With(int? epochs, int? batchSize)
    {
        var copy = (FitOptions)MemberwiseClone();
        copy._epochs = Pick(epochs, _epochs, "epochs", nameof(Epochs));
        copy._batchSize = Pick(batchSize, _batchSize, "batchSize", nameof(BatchSize));
        return copy;

        static int? Pick(int? argument, int? option, string argumentName, string optionName) =>
            argument is { } a && option is { } o && a != o
                ? throw new ArgumentException($"Fit got {argumentName}: {a} but FitOptions.{optionName} is {o}; set it in one place.", argumentName)
                : argument ?? option;
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the bad option.</summary>
    public void Validate()
    {
        if (Epochs <= 0) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be positive.");
        if (Verbose is < 0 or > 2) throw new ArgumentOutOfRangeException(nameof(Verbose), Verbose, "Verbose is 0 (silent), 1 (progress and one line per epoch) or 2 (one line per epoch).");
        if (BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be positive.");
        if (LearningRate <= 0 || double.IsNaN(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be positive.");
        if (BatchNormRecalibrationSamples < 0) throw new ArgumentOutOfRangeException(nameof(BatchNormRecalibrationSamples), BatchNormRecalibrationSamples, "BatchNormRecalibrationSamples must not be negative.");
        if (ClassWeights is { } w && (!(w.Good > 0) || !(w.Defect > 0) || double.IsInfinity(w.Good) || double.IsInfinity(w.Defect)))
            throw new ArgumentOutOfRangeException(nameof(ClassWeights), w, "ClassWeights must be positive and finite.");
        if (Threads is <= 0) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be positive.");
        if (Resume && CheckpointDirectory is null) throw new ArgumentException("Resume needs a CheckpointDirectory.", nameof(Resume));
    }
}
