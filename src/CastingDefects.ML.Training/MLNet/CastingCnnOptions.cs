using CastingDefects.ML.Data;
using CastingDefects.ML.Augmentation;
using CastingDefects.ML.Training.Augmentation;
using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Models;
using Microsoft.ML;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>
/// Options of the CNN trainers (<see cref="CastingCnnTrainer"/>, <see cref="CastingCnnMulticlassTrainer"/>): a network
/// trained from scratch on the images. Defaults: the paper's CNN, 300x300 gray, 20 epochs.
/// </summary>
public sealed class CastingCnnOptions : CastingTrainerOptions
{
    /// <summary>Creates the options with the paper's defaults (300x300 gray, 20 epochs).</summary>
    public CastingCnnOptions() : base(new CastingImageOptions(), epochs: 20) { }

    /// <summary>
    /// Builds the network for the image options and the number of classes (2 for the binary trainer); default: the
    /// paper's CNN (Dense(1, sigmoid) head for two classes, Dense(K, softmax) for K).
    /// </summary>
    public Func<CastingImageOptions, int, Sequential> Architecture { get; set; } =
        (image, classes) => CastingArchitectures.Paper(image.Grayscale, image.Width, image.Height, classes);

    /// <summary>ReduceLROnPlateau patience on val_loss with factor 0.1 (the paper: 5); null disables it.</summary>
    public int? ReduceLearningRatePatience { get; set; } = 5;

    /// <summary>Random augmentation during training; null for none.</summary>
    public ImageAugmentation? Augmentation { get; set; }

    /// <summary>
    /// Patch size of a ZCA whitening fitted on the training images and put in front of the network (see
    /// <see cref="Layers.ZcaWhitening"/>); null (default) for none.
    /// </summary>
    public int? ZcaPatchSize { get; set; }

    /// <summary>Receives progress after every batch.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

}
