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
        // The catalog keeps its host environment private; the trainer's own transforms use a context seeded like it.
        return new CastingCnnTrainer(new MLContext(options?.Seed ?? 42), options ?? new CastingCnnOptions());
    }

    /// <summary>
    /// Trains a CNN on three or more classes of casting images: <c>mlContext.MulticlassClassification.Trainers.CastingCnn(options)</c>.
    /// </summary>
    public static CastingCnnMulticlassTrainer CastingCnn(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, CastingCnnOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new CastingCnnMulticlassTrainer(new MLContext(options?.Seed ?? 42), options ?? new CastingCnnOptions());
    }
}
