using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>The output schemas the trainers declare.</summary>
internal static class OutputSchemas
{
    /// <summary>The input plus the scalar Score, Probability and PredictedLabel columns of a binary classifier.</summary>
    public static SchemaShape Binary(SchemaShape inputSchema, string featureColumn)
    {
        RequireFeatures(inputSchema, featureColumn);
        var builder = new DataViewSchema.Builder();
        builder.AddColumn("Score", NumberDataViewType.Single);
        builder.AddColumn("Probability", NumberDataViewType.Single);
        builder.AddColumn("PredictedLabel", BooleanDataViewType.Instance);
        return With(inputSchema, builder.ToSchema());
    }

    /// <summary>
    /// The input plus the columns of a multiclass classifier, as ML.NET's multiclass trainers declare them: Score, a
    /// vector of class probabilities, and PredictedLabel, a UInt32 key (the class count is known only after the fit).
    /// </summary>
    public static SchemaShape Multiclass(SchemaShape inputSchema, string featureColumn)
    {
        RequireFeatures(inputSchema, featureColumn);
        var builder = new DataViewSchema.Builder();
        builder.AddColumn("Score", new VectorDataViewType(NumberDataViewType.Single, 2));
        builder.AddColumn("PredictedLabel", new KeyDataViewType(typeof(uint), 2));
        return With(inputSchema, builder.ToSchema());
    }

    /// <summary>The input with <paramref name="added"/>'s columns put in (replacing columns of the same name).</summary>
    private static SchemaShape With(SchemaShape inputSchema, DataViewSchema added)
    {
        // SchemaShape.Column has no public constructor: ML.NET's own conversion of a DataViewSchema makes the columns.
        var create = typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic, [typeof(DataViewSchema)])
            ?? throw new InvalidOperationException("This ML.NET version has no SchemaShape.Create(DataViewSchema); the trainers' output schema cannot be declared.");
        var shape = (SchemaShape)create.Invoke(null, [added])!;
        var columns = inputSchema.Where(c => shape.All(a => a.Name != c.Name)).Concat(shape);
        return new SchemaShape(columns);
    }

    /// <summary>Checks that the feature column is there.</summary>
    public static SchemaShape RequireFeatures(SchemaShape inputSchema, string featureColumn)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (inputSchema.All(c => c.Name != featureColumn))
            throw new ArgumentException($"The input has no '{featureColumn}' column; put LoadCastingImages(...) before the trainer.", nameof(inputSchema));
        return inputSchema;
    }
}
