using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>The output schemas the trainers declare.</summary>
internal static class OutputSchemas
{
    /// <summary>The input plus the scalar Score, Probability and PredictedLabel columns of a binary classifier.</summary>
    public static SchemaShape Binary(SchemaShape inputSchema, string featureColumn)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        RequireFeatures(inputSchema, featureColumn);
        // SchemaShape has no public builder, so describe the columns through a DataViewSchema and ML.NET's own conversion.
        var builder = new DataViewSchema.Builder();
        builder.AddColumn("Score", NumberDataViewType.Single);
        builder.AddColumn("Probability", NumberDataViewType.Single);
        builder.AddColumn("PredictedLabel", BooleanDataViewType.Instance);
        var create = typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic, [typeof(DataViewSchema)]);
        var added = (SchemaShape?)create?.Invoke(null, [builder.ToSchema()]);
        if (added is null) return inputSchema;
        var columns = inputSchema.Where(c => added.All(a => a.Name != c.Name)).Concat(added).ToArray();
        return (SchemaShape)Activator.CreateInstance(typeof(SchemaShape), System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic,
            null, [columns.AsEnumerable()], null)!;
    }

    /// <summary>Checks that the feature column is there (the multiclass trainers return the input schema).</summary>
    public static SchemaShape RequireFeatures(SchemaShape inputSchema, string featureColumn)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (inputSchema.All(c => c.Name != featureColumn))
            throw new ArgumentException($"The input has no '{featureColumn}' column; put LoadCastingImages(...) before the trainer.", nameof(inputSchema));
        return inputSchema;
    }
}
