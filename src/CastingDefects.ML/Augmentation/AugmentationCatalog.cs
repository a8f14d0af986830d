using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.ML.Augmentation;

/// <summary>Augmentation as an ML.NET transform.</summary>
public static class AugmentationCatalog
{
    /// <summary>
    /// Replaces each image path by the path of an augmented copy written to <paramref name="cacheFolder"/> (PNG, one
    /// per source file, the same for the same seed): put it before <c>LoadCastingImages</c> to evaluate a model on a
    /// fixed augmented test set. Meant for evaluation pipelines; it is not saved into models.
    /// </summary>
    public static IEstimator<ITransformer> AugmentImages(this TransformsCatalog catalog, ImageAugmentation augmentation, string cacheFolder,
        int seed = 42, string columnName = "ImagePath")
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(augmentation);
        if (columnName != "ImagePath")
            throw new ArgumentException("AugmentImages works on the ImagePath column; copy your column to ImagePath first.", nameof(columnName));
        string folder = Path.GetFullPath(cacheFolder);
        return catalog.CustomMapping<PathColumn, PathColumn>((input, output) =>
        {
            string name = $"{Path.GetFileNameWithoutExtension(input.ImagePath)}_{IO.StableSeed.Mix(input.ImagePath, seed):x8}.png";
            string target = Path.Combine(folder, name);
            output.ImagePath = File.Exists(target) ? target : ImageAugmenter.WriteAugmented(input.ImagePath, target, augmentation, seed);
        }, contractName: null);
    }

    /// <summary>Row type of <see cref="AugmentImages"/>.</summary>
    public sealed class PathColumn
    {
        /// <summary>Image path.</summary>
        public string ImagePath { get; set; } = "";
    }
}
