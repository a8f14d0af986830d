using System.Globalization;
using CastingDefects.ML.Data;
using CastingDefects.ML.Training.Fitting;

namespace CastingDefects.Cli;

/// <summary>Parses <c>--class-weights</c>: <c>balanced</c> or <c>GOOD,DEFECT</c>.</summary>
internal static class ClassWeightsOption
{
    public static (double Good, double Defect) Parse(string value, ImageFolderDataset dataset)
    {
        if (dataset.Classes.Count != 2)
            throw new ArgumentException($"--class-weights: for two classes only; '{dataset.Root}' has {dataset.Classes.Count}.");
        if (value.Equals("balanced", StringComparison.OrdinalIgnoreCase))
        {
            int defects = dataset.Images.Count(i => i.IsDefect);
            return ClassWeighting.Balanced(dataset.Images.Count - defects, defects);
        }
        var parts = value.Split(',');
        if (parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double good)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double defect)
            && good > 0 && defect > 0 && double.IsFinite(good) && double.IsFinite(defect))
            return (good, defect);
        throw new ArgumentException($"--class-weights: '{value}' is neither 'balanced' nor GOOD,DEFECT with two positive numbers (e.g. 1,3).");
    }
}
