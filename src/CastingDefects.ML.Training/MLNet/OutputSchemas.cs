using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>
/// The output schemas the trainers declare, made by ML.NET itself (public API only): a custom mapping whose output type
/// has the trainer's columns declares exactly those columns on top of the input.
/// </summary>
internal static class OutputSchemas
{
    private static readonly MLContext Schemas = new();

    /// <summary>The input plus the scalar Score, Probability and PredictedLabel columns of a binary classifier.</summary>
    public static SchemaShape Binary(SchemaShape inputSchema, string featureColumn) =>
        Schemas.Transforms.CustomMapping<NoInput, BinaryColumns>((_, _) => { }, contractName: null)
            .GetOutputSchema(RequireFeatures(inputSchema, featureColumn));

    /// <summary>
    /// The input plus the columns of a multiclass classifier, as ML.NET's multiclass trainers declare them: Score, a
    /// vector of class probabilities, and PredictedLabel, a UInt32 key over the class names.
    /// </summary>
    public static SchemaShape Multiclass(SchemaShape inputSchema, string featureColumn) =>
        Schemas.Transforms.CustomMapping<NoInput, MulticlassColumns>((_, _) => { }, contractName: null)
            .GetOutputSchema(RequireFeatures(inputSchema, featureColumn));

    /// <summary>Checks that the feature column is there.</summary>
    public static SchemaShape RequireFeatures(SchemaShape inputSchema, string featureColumn)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (inputSchema.All(c => c.Name != featureColumn))
            throw new ArgumentException($"The input has no '{featureColumn}' column; put LoadCastingImages(...) before the trainer.", nameof(inputSchema));
        return inputSchema;
    }

    private sealed class NoInput;

    private sealed class BinaryColumns
    {
        public float Score { get; set; }
        public float Probability { get; set; }
        public bool PredictedLabel { get; set; }
    }

    private sealed class MulticlassColumns
    {
        [VectorType(2)] // the class count is known only after the fit
        public float[] Score { get; set; } = [];

        [KeyType(2)]
        public uint PredictedLabel { get; set; }
    }
}
