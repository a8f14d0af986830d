using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>Class names of a key-typed label column, for the multiclass trainers.</summary>
internal static class LabelKeys
{
    public static List<string> ClassNames(IDataView input, string labelColumn, string binaryTrainer)
    {
        ArgumentNullException.ThrowIfNull(input);
        var label = input.Schema.GetColumnOrNull(labelColumn)
            ?? throw new ArgumentException($"The input has no '{labelColumn}' column; map the class names to keys first (MapClassNamesToKey).", nameof(input));
        if (label.Type is not KeyDataViewType)
            throw new ArgumentException($"Column '{labelColumn}' must be a key over the class names (MapClassNamesToKey), not {label.Type}.", nameof(input));
        if (label.Annotations.Schema.GetColumnOrNull("KeyValues") is null)
            throw new ArgumentException($"Key column '{labelColumn}' has no key values (class names).", nameof(input));
        VBuffer<ReadOnlyMemory<char>> keyValues = default;
        label.GetKeyValues(ref keyValues);
        var classes = keyValues.DenseValues().Select(v => v.ToString()).ToList();
        if (classes.Count < 3)
            throw new ArgumentException($"The label has {classes.Count} classes; use {binaryTrainer} for two.", nameof(input));
        return classes;
    }
}
