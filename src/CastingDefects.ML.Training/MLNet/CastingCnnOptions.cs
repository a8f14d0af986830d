using CastingDefects.ML.Data;
using CastingDefects.ML.Augmentation;
using CastingDefects.ML.Training.Augmentation;
using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Models;
using Microsoft.ML;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>Options of <see cref="CastingCnnTrainer"/> (ML.NET style: one Options class per trainer).</summary>
public sealed class CastingCnnOptions
{
    /// <summary>
    /// Builds the network for the image options and the number of classes (2 for the binary trainer); default: the
    /// paper's CNN (Dense(1, sigmoid) head for two classes, Dense(K, softmax) for K).
    /// </summary>
    public Func<CastingImageOptions, int, Sequential> Architecture { get; set; } =
        (image, classes) => CastingArchitectures.Paper(image.Grayscale, image.Width, image.Height, classes);

    /// <summary>How images are preprocessed; must match the <c>LoadCastingImages</c> before the trainer (default 300x300 gray).</summary>
    public CastingImageOptions Image { get; set; } = new();

    /// <summary>Feature column (pixels), default <c>Features</c>.</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>Label column, default <c>Label</c>: Boolean (true = defect) for the binary trainer, a key over the class names for the multiclass one.</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Epochs (default 20).</summary>
    public int Epochs { get; set; } = 20;

    /// <summary>Batch size (default 32).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Adam learning rate (default 1e-3).</summary>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>
    /// Validation rows (raw, with <c>ImagePath</c> and <c>Label</c>; or already with the feature column). When null, a
    /// stratified <see cref="ValidationFraction"/> of the training rows is held out.
    /// </summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>Fraction held out for validation when <see cref="ValidationSet"/> is null (default 0.2; 0 disables validation).</summary>
    public double ValidationFraction { get; set; } = 0.2;

    /// <summary>
    /// Stop after this many epochs without val_loss improvement (default 10, longer than the learning-rate patience so
    /// the rate is cut before training stops); null never stops early. Either way the weights of the epoch with the
    /// lowest val_loss are kept (the paper's best-epoch checkpoint).
    /// </summary>
    public int? EarlyStoppingPatience { get; set; } = 10;

    /// <summary>ReduceLROnPlateau patience on val_loss with factor 0.1 (the paper: 5); null disables it.</summary>
    public int? ReduceLearningRatePatience { get; set; } = 5;

    /// <summary>Random augmentation during training; null for none.</summary>
    public ImageAugmentation? Augmentation { get; set; }

    /// <summary>
    /// Patch size of a ZCA whitening fitted on the training images and put in front of the network (see
    /// <see cref="Layers.ZcaWhitening"/>); null (default) for none.
    /// </summary>
    public int? ZcaPatchSize { get; set; }

    /// <summary>Seed (default 42).</summary>
    public int Seed { get; set; } = 42;

    /// <summary>Decision threshold stored in the model (default 0.5); see <see cref="TargetRecall"/>.</summary>
    public float Threshold { get; set; } = 0.5f;

    /// <summary>
    /// When set, the binary trainer stores instead the highest threshold whose defect recall on the validation data
    /// reaches this value (e.g. 0.995: missing a defect costs more than rejecting a good casting).
    /// </summary>
    public double? TargetRecall { get; set; }

    /// <summary>TorchSharp threads; null uses all cores.</summary>
    public int? Threads { get; set; }

    /// <summary>Checkpoint folder (see <see cref="FitOptions.CheckpointDirectory"/>); null disables checkpoints.</summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>Resume from the checkpoint folder's last checkpoint.</summary>
    public bool Resume { get; set; }

    /// <summary>Receives progress after every batch.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

    /// <summary>Receives each epoch's log.</summary>
    public Action<EpochLog>? MetricsCallback { get; set; }

    /// <summary>
    /// More Keras-style callbacks for the fit (for example <see cref="Callbacks.TimeStopping"/>), run after the trainer's
    /// own early stopping (which restores the best epoch's weights at the end).
    /// </summary>
    public IList<Callbacks.Callback> Callbacks { get; } = new List<Callbacks.Callback>();

    /// <summary>Keras's <c>verbose</c> (see <see cref="FitOptions.Verbose"/>): 0 silent (default), 1 or 2 one line per epoch on the console.</summary>
    public int Verbose { get; set; }

    /// <summary>Cancels training between batches.</summary>
    public CancellationToken CancellationToken { get; set; }
}
