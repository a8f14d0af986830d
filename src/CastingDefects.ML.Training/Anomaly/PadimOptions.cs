using CastingDefects.ML.Data;
using Microsoft.ML;

namespace CastingDefects.ML.Training.Anomaly;

/// <summary>
/// Options of the PaDiM anomaly detector (<see cref="Padim"/>, <c>mlContext.AnomalyDetection.Trainers.Padim(options)</c>),
/// which learns from images of good parts only.
/// </summary>
public sealed class PadimOptions
{
    /// <summary>
    /// Input size and channels. Height and width must be multiples of 16 (the three feature stages then meet on one
    /// grid of 1/8 of the input). Default 224x224 gray, the backbone's training size.
    /// </summary>
    public CastingImageOptions Image { get; set; } = CastingImageOptions.Square(224, grayscale: true);

    /// <summary>
    /// Dimensions per position, reduced from the backbone's 448 channels (64 + 128 + 256) by <see cref="Embedding"/>.
    /// The model holds one d x d inverse covariance per grid position (116 MB at 224x224 with 192). Measured on the
    /// Kaggle casting split (test AUROC, semi-orthogonal): 128: 0.975, 192: 0.978, 256: 0.979; a random channel subset
    /// of 256 (the PaDiM paper's way, which uses 100 for ResNet18): 0.968; of 100: 0.927. Default 192.
    /// </summary>
    public int Dimensions { get; set; } = 192;

    /// <summary>
    /// How the channels are reduced to <see cref="Dimensions"/> (default <see cref="PadimEmbedding.SemiOrthogonal"/>: at
    /// 256 dimensions it ranked the Kaggle test images at AUROC 0.979 against 0.968 for a random subset).
    /// </summary>
    public PadimEmbedding Embedding { get; set; } = PadimEmbedding.SemiOrthogonal;

    /// <summary>
    /// Each grid position's features are averaged over its k x k neighbourhood first (PatchCore's locally aware patch
    /// features; 1: off). Default 3.
    /// </summary>
    public int Neighbourhood { get; set; } = 3;

    /// <summary>Added to the diagonal of every covariance (PaDiM's 0.01) so that it can be inverted.</summary>
    public double Regularization { get; set; } = 0.01;

    /// <summary>Standard deviation, in input pixels, of the Gaussian that smooths the anomaly map (anomalib's 4; 0: none).</summary>
    public double BlurSigma { get; set; } = 4;

    /// <summary>
    /// Share of good validation images allowed above the threshold when no defect image is there to choose it
    /// (default 0.01). With defect images in the validation data, the threshold that maximises balanced accuracy is taken.
    /// </summary>
    public double TargetFalseRejectRate { get; set; } = 0.01;

    /// <summary>A fixed threshold on the raw anomaly score instead of one chosen from validation images.</summary>
    public float? Threshold { get; set; }

    /// <summary>Validation images (good, and defects when there are some) that choose the threshold. Default: split off the good training images.</summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>Share of the good training images held out to choose the threshold when <see cref="ValidationSet"/> is null (default 0.2).</summary>
    public double ValidationFraction { get; set; } = 0.2;

    /// <summary>Images per ONNX Runtime call while extracting features.</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>Seed of the channel draw and of the validation split.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>Threads for feature extraction and statistics (default: all cores).</summary>
    public int? Threads { get; set; }

    /// <summary>The pretrained ResNet18 ONNX file (default: the one shipped in Microsoft.ML.DnnImageFeaturizer.ResNet18).</summary>
    public string? BackbonePath { get; set; }

    /// <summary>Name of the feature column (pixels from <c>LoadCastingImages</c>).</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>Name of the Boolean label column (true = defect); rows labelled true are not fitted. Optional.</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Reports (images done, images in total) while features are extracted.</summary>
    public IProgress<(int Done, int Total)>? Progress { get; set; }

    /// <summary>Stops the fit.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>Checks the options; throws <see cref="ArgumentException"/> naming the option.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Image, nameof(Image));
        Image.Validate();
        if (Image.Width % 16 != 0 || Image.Height % 16 != 0 || Image.Width < 64 || Image.Height < 64)
            throw new ArgumentException($"PadimOptions.Image: {Image.Width}x{Image.Height}; the anomaly detector takes widths and heights that are multiples of 16, at least 64 (e.g. 224).");
        if (Dimensions < 1) throw new ArgumentException($"PadimOptions.Dimensions {Dimensions}: at least 1.");
        if (Regularization <= 0 || double.IsNaN(Regularization)) throw new ArgumentException($"PadimOptions.Regularization {Regularization}: must be positive.");
        if (BlurSigma < 0 || double.IsNaN(BlurSigma)) throw new ArgumentException($"PadimOptions.BlurSigma {BlurSigma}: must not be negative.");
        if (TargetFalseRejectRate is < 0 or >= 1 || double.IsNaN(TargetFalseRejectRate)) throw new ArgumentException($"PadimOptions.TargetFalseRejectRate {TargetFalseRejectRate}: a share in [0, 1).");
        if (ValidationFraction is < 0 or >= 1 || double.IsNaN(ValidationFraction)) throw new ArgumentException($"PadimOptions.ValidationFraction {ValidationFraction}: a share in [0, 1).");
        if (Neighbourhood < 1 || Neighbourhood % 2 == 0) throw new ArgumentException($"PadimOptions.Neighbourhood {Neighbourhood}: an odd size, at least 1.");
        if (BatchSize < 1) throw new ArgumentException($"PadimOptions.BatchSize {BatchSize}: at least 1.");
    }
}
