using CastingDefects.ML.Training.MLNet;
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
public sealed class ImageTransferOptions : CastingTrainerOptions
{
    /// <summary>
    /// Creates the options: 224x224 gray (the casting images are gray; the plane is repeated into the backbone's three
    /// channels) and 50 head epochs (each over cached features takes milliseconds).
    /// </summary>
    public ImageTransferOptions() : base(new CastingImageOptions { Width = 224, Height = 224, Grayscale = true }, epochs: 50) { }

    /// <summary>The pretrained backbone (default ResNet18).</summary>
    public TransferArchitecture Architecture { get; set; } = TransferArchitecture.ResNet18;

    /// <summary>The head on the pooled features: one sigmoid unit (default) or the paper's two-unit softmax.</summary>
    public HeadKind Head { get; set; } = HeadKind.Sigmoid1;

    /// <summary>
    /// Folder for the bottleneck feature cache (ML.NET's <c>WorkspacePath</c>); default
    /// <c>{temp}/castingdefects-workspace</c>. Features are keyed by image content and reused between runs.
    /// </summary>
    public string? WorkspacePath { get; set; }

    /// <summary>Reuse cached features (default true); false recomputes and overwrites them.</summary>
    public bool ReuseFeatures { get; set; } = true;

    /// <summary>Path of the backbone's ONNX file; null finds the one that ships in the NuGet package.</summary>
    public string? BackbonePath { get; set; }

    /// <summary>Receives (images done, images total) during feature extraction.</summary>
    public IProgress<(int Done, int Total)>? FeatureProgress { get; set; }

    /// <summary>
    /// Epochs of fine-tuning after the head has trained (Keras's transfer-learning recipe, second step): the backbone's
    /// last stage is unfrozen and trains with the head at <see cref="FineTuneLearningRate"/> on the frozen stages'
    /// output (computed once per image, kept in memory). Default 0: the backbone stays frozen. The fine-tuned weights
    /// are kept only when they lower the validation loss of the head alone; early stopping uses
    /// <see cref="CastingTrainerOptions.EarlyStoppingPatience"/>. Each epoch costs roughly the work of one feature
    /// extraction pass over the training images, times three (forward and backward).
    /// </summary>
    public int FineTuneEpochs { get; set; }

    /// <summary>Adam's learning rate while fine-tuning (default 1e-4, a tenth of the head's).</summary>
    public double FineTuneLearningRate { get; set; } = 1e-4;

}
