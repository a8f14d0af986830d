using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.Transfer;
using Microsoft.ML;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>
/// ML.NET multiclass estimator for transfer learning on three or more class folders: frozen pretrained backbone,
/// cached bottleneck features, a Dense(K, softmax) head; scored with ML.NET's ONNX transformer (<c>Score</c>,
/// <c>PredictedLabel</c> as a key over the class names).
/// </summary>
public sealed class ImageTransferMulticlassTrainer : ImageTransferTrainerBase
{
    /// <summary>Creates the trainer; prefer <c>mlContext.MulticlassClassification.Trainers.ImageTransfer(options)</c>.</summary>
    public ImageTransferMulticlassTrainer(MLContext mlContext, ImageTransferOptions options) : base(mlContext, options) { }

    /// <summary>Class names in key order.</summary>
    public IReadOnlyList<string>? ClassNames { get; private set; }

    /// <inheritdoc />
    public override ITransformer Fit(IDataView input)
    {
        var classes = LabelKeys.ClassNames(input, Options.LabelColumnName, "BinaryClassification.Trainers.ImageTransfer");
        var result = Train(input, classes.Count);
        ClassNames = classes;
        OnnxModel = result.Network.ToOnnx(classes);
        return MLContext.Transforms.ScoreWithOnnxMulticlass(MLContext, OnnxModel, Options.Image, classes).Fit(input);
    }

    /// <inheritdoc />
    public override SchemaShape GetOutputSchema(SchemaShape inputSchema) => OutputSchemas.Multiclass(inputSchema, Options.FeatureColumnName);
}
