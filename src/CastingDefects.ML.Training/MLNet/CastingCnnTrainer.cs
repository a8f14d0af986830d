using CastingDefects.ML.Inference;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>
/// ML.NET estimator that trains a CNN on the <c>Features</c> column with TorchSharp and returns a transformer built on
/// ML.NET's ONNX transformer, producing <c>Score</c>, <c>Probability</c> and <c>PredictedLabel</c>. The fitted model
/// saves with <c>mlContext.Model.Save</c> and loads (with <c>LoadCastingModel</c>) without libtorch.
/// </summary>
public sealed class CastingCnnTrainer : CastingCnnTrainerBase
{
    /// <summary>Creates the trainer; prefer <c>mlContext.BinaryClassification.Trainers.CastingCnn(options)</c>.</summary>
    public CastingCnnTrainer(MLContext mlContext, CastingCnnOptions options) : base(mlContext, options) { }

    /// <summary>The decision threshold stored in the last fitted model.</summary>
    public float Threshold { get; private set; }

    /// <inheritdoc />
    public override ITransformer Fit(IDataView input)
    {
        var (network, validation) = Train(input, classes: 2);
        Threshold = Options.Threshold;
        if (Options.TargetRecall is { } recall)
        {
            if (validation is null) throw new InvalidOperationException("TargetRecall needs validation data (ValidationSet or ValidationFraction > 0) to choose the threshold on.");
            var labels = validation.Labels.Select(l => l > 0.5f).ToArray();
            Threshold = CastingDefects.ML.Evaluation.ThresholdSelection.ForTargetRecall(labels, network.PredictProbabilities(validation), recall);
        }
        OnnxModel = network.ToOnnx(Threshold);
        return MLContext.Transforms.ScoreWithOnnx(OnnxModel, Options.Image).Fit(input);
    }

    /// <inheritdoc />
    public override SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var features = inputSchema.FirstOrDefault(c => c.Name == Options.FeatureColumnName);
        if (features.Name is null)
            throw new ArgumentException($"The input has no '{Options.FeatureColumnName}' column; put LoadCastingImages(...) before the trainer.", nameof(inputSchema));
        // The output adds the scalar Score, Probability and PredictedLabel columns; SchemaShape has no public builder,
        // so describe them through a DataViewSchema and ML.NET's own conversion.
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
}
