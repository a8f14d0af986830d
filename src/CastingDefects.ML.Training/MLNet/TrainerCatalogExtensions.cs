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
        var env = typeof(BinaryClassificationCatalog.BinaryClassificationTrainers).BaseType!
            .GetProperty("Environment", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)?.GetValue(catalog);
        var mlContext = env as MLContext ?? new MLContext(options?.Seed ?? 42);
        return new CastingCnnTrainer(mlContext, options ?? new CastingCnnOptions());
    }

    /// <summary>
    /// Trains a CNN on three or more classes of casting images: <c>mlContext.MulticlassClassification.Trainers.CastingCnn(options)</c>.
    /// </summary>
    public static CastingCnnMulticlassTrainer CastingCnn(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, CastingCnnOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var env = typeof(MulticlassClassificationCatalog.MulticlassClassificationTrainers).BaseType!
            .GetProperty("Environment", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)?.GetValue(catalog);
        var mlContext = env as MLContext ?? new MLContext(options?.Seed ?? 42);
        return new CastingCnnMulticlassTrainer(mlContext, options ?? new CastingCnnOptions());
    }
}
