using CastingDefects.ML.Training.Anomaly;
using CastingDefects.ML.Training.Transfer;
using CastingDefects.ML.Runtime;
using Microsoft.ML;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>Catalog extension methods for the trainers.</summary>
public static class TrainerCatalogExtensions
{
    /// <summary>
    /// Trains a CNN (default: the paper's) on casting images: <c>mlContext.BinaryClassification.Trainers.CastingCnn(options)</c>.
    /// </summary>
    public static CastingCnnTrainer CastingCnn(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, CastingCnnOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new CastingCnnTrainer(MLNetInternals.Environment(catalog), options ?? new CastingCnnOptions());
    }

    /// <summary>
    /// Trains a CNN on three or more classes of casting images: <c>mlContext.MulticlassClassification.Trainers.CastingCnn(options)</c>.
    /// </summary>
    public static CastingCnnMulticlassTrainer CastingCnn(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, CastingCnnOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new CastingCnnMulticlassTrainer(MLNetInternals.Environment(catalog), options ?? new CastingCnnOptions());
    }

    /// <summary>
    /// Transfer learning from a pretrained backbone (default: ImageNet ResNet18, shipped offline):
    /// <c>mlContext.BinaryClassification.Trainers.ImageTransfer(options)</c>.
    /// </summary>
    public static ImageTransferTrainer ImageTransfer(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, ImageTransferOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ImageTransferTrainer(MLNetInternals.Environment(catalog), options ?? new ImageTransferOptions());
    }

    /// <summary>Transfer learning for three or more classes: <c>mlContext.MulticlassClassification.Trainers.ImageTransfer(options)</c>.</summary>
    public static ImageTransferMulticlassTrainer ImageTransfer(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, ImageTransferOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ImageTransferMulticlassTrainer(MLNetInternals.Environment(catalog), options ?? new ImageTransferOptions());
    }

    /// <summary>
    /// Anomaly detection learned from good images only (PaDiM on the pretrained ResNet18's features):
    /// <c>mlContext.AnomalyDetection.Trainers.Padim(options)</c>. Put <c>LoadCastingImages</c> before it.
    /// </summary>
    public static PadimTrainer Padim(this AnomalyDetectionCatalog.AnomalyDetectionTrainers catalog, PadimOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new PadimTrainer(MLNetInternals.Environment(catalog), options ?? new PadimOptions());
    }
}
