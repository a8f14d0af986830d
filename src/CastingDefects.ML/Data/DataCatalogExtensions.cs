using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.ML.Data;

/// <summary>Extension methods on <see cref="DataOperationsCatalog"/> for image folders.</summary>
public static class DataCatalogExtensions
{
    /// <summary>
    /// Loads a folder with one subfolder per class as an <see cref="IDataView"/> with columns <c>ImagePath</c>,
    /// <c>Label</c> (true = defect class) and <c>ClassName</c>. Unreadable files are skipped with a warning naming
    /// each (or fail the load when <see cref="ImageFolderOptions.Strict"/>).
    /// </summary>
    public static IDataView LoadImageFolder(this DataOperationsCatalog catalog, string folder, ImageFolderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return ImageFolderDataset.Scan(folder, options).ToDataView(catalog);
    }

    /// <summary>
    /// Stratified, seeded train/validation split of a view with a <c>Label</c> column (Boolean, or a multiclass key)
    /// and a text <c>ImagePath</c> column (as made by <see cref="LoadImageFolder"/>): each class keeps its share, and
    /// the validation count per class is rounded down (Keras's convention: 6,633 casting images give 5,307 / 1,326).
    /// The same split as <see cref="ImageFolderDataset.StratifiedSplit"/>.
    /// </summary>
    public static TrainValidationData StratifiedSplit(this DataOperationsCatalog catalog, IDataView data,
        double validationFraction = 0.2, int seed = 42)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        RequireColumn(data, "ImagePath", TextDataViewType.Instance);
        var label = data.Schema.GetColumnOrNull("Label")
            ?? throw new ArgumentException("The data has no 'Label' column (expected the columns of LoadImageFolder).", nameof(data));
        // Classes: the defect class first for a Boolean label (true, false), key order for a multiclass key label.
        int[] classOf = label.Type switch
        {
            BooleanDataViewType => data.GetColumn<bool>("Label").Select(l => l ? 0 : 1).ToArray(),
            KeyDataViewType { RawType: var raw } when raw == typeof(uint) => data.GetColumn<uint>("Label").Select(k => (int)k).ToArray(),
            _ => throw new ArgumentException($"Column 'Label' must be Boolean or a UInt32 key, not {label.Type}.", nameof(data)),
        };
        var paths = data.GetColumn<string>("ImagePath").ToArray();
        var heldOut = StratifiedSampling.HeldOut(classOf, validationFraction, seed);
        var validation = new HashSet<string>(paths.Where((_, i) => heldOut[i]), StringComparer.Ordinal);

        return new TrainValidationData(
            catalog.FilterByCustomPredicate<PathRow>(data, row => validation.Contains(row.ImagePath)),
            catalog.FilterByCustomPredicate<PathRow>(data, row => !validation.Contains(row.ImagePath)));
    }

    private static void RequireColumn(IDataView data, string name, DataViewType type)
    {
        var column = data.Schema.GetColumnOrNull(name)
            ?? throw new ArgumentException($"The data has no '{name}' column (expected the columns of LoadImageFolder).", nameof(data));
        if (!column.Type.Equals(type))
            throw new ArgumentException($"Column '{name}' must be {type}, not {column.Type}.", nameof(data));
    }

    /// <summary>Input row type for the split predicate.</summary>
    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }
}

/// <summary>The two halves of a split; named like ML.NET's <c>TrainTestData</c>.</summary>
/// <param name="TrainSet">Rows for training.</param>
/// <param name="TestSet">Rows held out for validation or testing.</param>
public sealed record TrainValidationData(IDataView TrainSet, IDataView TestSet);
