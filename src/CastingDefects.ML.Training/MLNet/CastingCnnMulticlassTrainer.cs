using CastingDefects.ML.Inference;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>
/// ML.NET multiclass estimator for three or more class folders: trains a CNN (default: the paper's body with a
/// Dense(K, softmax) head) on <c>Features</c> and a key-typed <c>Label</c> (see <c>MapClassNamesToKey</c>), and returns
/// a transformer built on ML.NET's ONNX transformer producing <c>Score</c> (class probabilities) and
/// <c>PredictedLabel</c> (a key over the same class names), so <c>mlContext.MulticlassClassification.Evaluate</c>,
/// <c>Model.Save/Load</c> and prediction engines work with the core package.
/// </summary>
public sealed class CastingCnnMulticlassTrainer : CastingCnnTrainerBase
{
    /// <summary>Creates the trainer; prefer <c>mlContext.MulticlassClassification.Trainers.CastingCnn(options)</c>.</summary>
    public CastingCnnMulticlassTrainer(MLContext mlContext, CastingCnnOptions options) : base(mlContext, options) { }

    /// <summary>Class names in key order, from the label column's key values.</summary>
    public IReadOnlyList<string>? ClassNames { get; private set; }

    /// <inheritdoc />
    public override ITransformer Fit(IDataView input)
    {
        var classes = LabelKeys.ClassNames(input, Options.LabelColumnName, "BinaryClassification.Trainers.CastingCnn");
        var (network, _) = Train(input, classes.Count);
        ClassNames = classes;
        OnnxModel = network.ToOnnx(classes);
        return MLContext.Transforms.ScoreWithOnnxMulticlass(MLContext, OnnxModel, Options.Image, classes).Fit(input);
    }

    /// <inheritdoc />
    public override SchemaShape GetOutputSchema(SchemaShape inputSchema) => OutputSchemas.Multiclass(inputSchema, Options.FeatureColumnName);
}
