using CastingDefects.ML.Data;
using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Models;
using Microsoft.ML;

namespace CastingDefects.ML.Training.Transfer;

/// <summary>
/// Options of the transfer-learning trainers (the idea of ML.NET's <c>ImageClassificationTrainer</c>, offline): a
/// frozen pretrained backbone computes bottleneck features once, cached in <see cref="WorkspacePath"/>, and only the
/// head trains on them.
/// </summary>
public sealed class ImageTransferOptions
{
    /// <summary>The pretrained backbone (default ResNet18).</summary>
    public TransferArchitecture Architecture { get; set; } = TransferArchitecture.ResNet18;

    /// <summary>
    /// How images are preprocessed; must match the <c>LoadCastingImages</c> before the trainer. Default 224x224 gray
    /// (the casting images are gray; the gray plane is repeated into the backbone's three channels).
    /// </summary>
    public CastingImageOptions Image { get; set; } = new() { Width = 224, Height = 224, Grayscale = true };

    /// <summary>The head on the pooled features: one sigmoid unit (default) or the paper's two-unit softmax.</summary>
    public HeadKind Head { get; set; } = HeadKind.Sigmoid1;

    /// <summary>Feature column (pixels), default <c>Features</c>.</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>Label column, default <c>Label</c> (Boolean for binary, a key for multiclass).</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Epochs of head training (default 50: each epoch over cached features takes milliseconds).</summary>
    public int Epochs { get; set; } = 50;

    /// <summary>Batch size of head training (default 32).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Adam learning rate of the head (default 1e-3).</summary>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>Stop after this many epochs without val_loss improvement (default 10); the best epoch's weights are kept.</summary>
    public int? EarlyStoppingPatience { get; set; } = 10;

    /// <summary>Validation rows (raw or with features); when null a stratified <see cref="ValidationFraction"/> is held out.</summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>Fraction held out for validation when <see cref="ValidationSet"/> is null (default 0.2).</summary>
    public double ValidationFraction { get; set; } = 0.2;

    /// <summary>
    /// Folder for the bottleneck feature cache (ML.NET's <c>WorkspacePath</c>); default
    /// <c>{temp}/castingdefects-workspace</c>. Features are keyed by image content and reused between runs.
    /// </summary>
    public string? WorkspacePath { get; set; }

    /// <summary>Reuse cached features (default true); false recomputes and overwrites them.</summary>
    public bool ReuseFeatures { get; set; } = true;

    /// <summary>Path of the backbone's ONNX file; null finds the one that ships in the NuGet package.</summary>
    public string? BackbonePath { get; set; }

    /// <summary>Decision threshold stored in a binary model (default 0.5).</summary>
    public float Threshold { get; set; } = 0.5f;

    /// <summary>When set, the binary model stores the highest threshold reaching this defect recall on the validation data.</summary>
    public double? TargetRecall { get; set; }

    /// <summary>Seed (default 42).</summary>
    public int Seed { get; set; } = 42;

    /// <summary>TorchSharp threads; null uses all cores.</summary>
    public int? Threads { get; set; }

    /// <summary>Receives each head-training epoch's log.</summary>
    public Action<EpochLog>? MetricsCallback { get; set; }

    /// <summary>
    /// More Keras-style callbacks for the fit (for example <see cref="Callbacks.TimeStopping"/>), run after the trainer's
    /// own early stopping (which restores the best epoch's weights at the end).
    /// </summary>
    public IList<Callbacks.Callback> Callbacks { get; } = new List<Callbacks.Callback>();

    /// <summary>Keras's <c>verbose</c> for the head's training (see <see cref="FitOptions.Verbose"/>): 0 silent (default), 1 or 2 one line per epoch.</summary>
    public int Verbose { get; set; }

    /// <summary>Receives (images done, images total) during feature extraction.</summary>
    public IProgress<(int Done, int Total)>? FeatureProgress { get; set; }

    /// <summary>Cancels between batches.</summary>
    public CancellationToken CancellationToken { get; set; }
}
