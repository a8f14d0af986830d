using CastingDefects.ML.Data;
using CastingDefects.ML.Training.Fitting;
using Microsoft.ML;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>
/// What every trainer of this library is told, whatever its network source (<see cref="CastingCnnOptions"/>: a CNN
/// trained from scratch; <see cref="Transfer.ImageTransferOptions"/>: a frozen pretrained backbone and a trained head)
/// and its task (binary or multiclass).
/// </summary>
public abstract class CastingTrainerOptions
{
    /// <summary>Creates the options with the source's own defaults for the image and the epochs.</summary>
    private protected CastingTrainerOptions(CastingImageOptions image, int epochs)
    {
        Image = image;
        Epochs = epochs;
    }

    /// <summary>How images are preprocessed; must match the <c>LoadCastingImages</c> before the trainer.</summary>
    public CastingImageOptions Image { get; set; }

    /// <summary>Feature column (pixels), default <c>Features</c>.</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>Label column, default <c>Label</c>: Boolean (true = defect) for a binary trainer, a key over the class names for a multiclass one.</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Maximum epochs; the epoch with the lowest val_loss is kept.</summary>
    public int Epochs { get; set; }

    /// <summary>Batch size (default 32).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Adam learning rate (default 1e-3).</summary>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>
    /// Validation rows (raw, with <c>ImagePath</c> and <c>Label</c>; or already with the feature column). When null, a
    /// stratified <see cref="ValidationFraction"/> of the training rows is held out.
    /// </summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>Fraction held out (stratified, binary and multiclass alike) when <see cref="ValidationSet"/> is null (default 0.2; 0 disables validation).</summary>
    public double ValidationFraction { get; set; } = 0.2;

    /// <summary>Stop after this many epochs without val_loss improvement (default 10); null never stops early. The best epoch's weights are kept either way.</summary>
    public int? EarlyStoppingPatience { get; set; } = 10;

    /// <summary>
    /// Loss weight of good and defect images (Keras's <c>class_weight</c>) for a binary trainer, e.g. (1, 3) when defects
    /// are three times rarer; null weighs every image equally. A multiclass trainer refuses it.
    /// </summary>
    public (double Good, double Defect)? ClassWeights { get; set; }

    /// <summary>Decision threshold stored in a binary model (default 0.5); see <see cref="TargetRecall"/>.</summary>
    public float Threshold { get; set; } = 0.5f;

    /// <summary>
    /// When set, a binary model stores instead the highest threshold whose defect recall on the validation data reaches
    /// this value (e.g. 0.995: missing a defect costs more than rejecting a good casting).
    /// </summary>
    public double? TargetRecall { get; set; }

    /// <summary>
    /// Seed for initialisation, shuffling and the validation split; null (default) takes the seed of the
    /// <see cref="MLContext"/> (<c>new MLContext(seed: 7)</c>), and 42 when the context has none.
    /// </summary>
    public int? Seed { get; set; }

    /// <summary>TorchSharp threads; null uses all cores.</summary>
    public int? Threads { get; set; }

    /// <summary>Receives each epoch's log (the same lines go to <c>MLContext.Log</c>).</summary>
    public Action<EpochLog>? MetricsCallback { get; set; }

    /// <summary>
    /// More Keras-style callbacks for the fit (for example <see cref="Callbacks.TimeStopping"/>), run after the trainer's
    /// own early stopping (which restores the best epoch's weights at the end).
    /// </summary>
    public IList<Callbacks.Callback> Callbacks { get; } = new List<Callbacks.Callback>();

    /// <summary>Keras's <c>verbose</c> (see <see cref="FitOptions.Verbose"/>): 0 silent (default), 1 or 2 one line per epoch on the console.</summary>
    public int Verbose { get; set; }

    /// <summary>
    /// Checkpoint folder (see <see cref="FitOptions.CheckpointDirectory"/>) of the network's training epochs (a CNN's,
    /// or the fine-tuning epochs of a transfer model; a head over cached features takes seconds and is not
    /// checkpointed); null disables checkpoints.
    /// </summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>Resume from the checkpoint folder's last checkpoint.</summary>
    public bool Resume { get; set; }

    /// <summary>Cancels training between batches (as does <c>mlContext.CancelExecution()</c> of Microsoft.ML.Experimental).</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>A shallow copy that validates on <paramref name="validation"/> (the caller's options stay as they were).</summary>
    internal CastingTrainerOptions WithValidation(IDataView validation)
    {
        var copy = (CastingTrainerOptions)MemberwiseClone();
        copy.ValidationSet = validation;
        copy.ValidationFraction = 0;
        return copy;
    }
}
