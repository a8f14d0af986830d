using CastingDefects.ML.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace CastingDefects.ML.Inference;

/// <summary>The predicted class name as ML.NET sees the ONNX string output: a vector of length 1.</summary>
public sealed class OnnxClassColumn
{
    /// <summary>Class name, one element.</summary>
    [ColumnName(OnnxContract.ClassName), VectorType(1)]
    public string[] Class { get; set; } = [];
}

/// <summary>The predicted class name as a scalar text column.</summary>
public sealed class PredictedClassColumn
{
    /// <summary>Name of the most probable class.</summary>
    public string PredictedClass { get; set; } = "";
}

/// <summary>Saveable mapping from the ONNX class-name output to a scalar column (registered by <c>LoadCastingModel</c>).</summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class PredictedClassMappingFactory : CustomMappingFactory<OnnxClassColumn, PredictedClassColumn>
{
    /// <summary>Contract name stored in saved models.</summary>
    public const string ContractName = "CastingDefects.ML.OnnxClassToText";

    /// <summary>The mapping itself.</summary>
    public static void Map(OnnxClassColumn input, PredictedClassColumn output) => output.PredictedClass = input.Class.Length > 0 ? input.Class[0] : "";

    /// <inheritdoc />
    public override Action<OnnxClassColumn, PredictedClassColumn> GetMapping() => Map;
}

/// <summary>ML.NET pipelines for multiclass networks (more than two class folders).</summary>
public static class MulticlassScoring
{
    /// <summary>
    /// Maps the text column <paramref name="inputColumnName"/> (class folder names) to a key column whose key order is
    /// <paramref name="classNames"/>: the <c>Label</c> ML.NET's multiclass trainers and evaluators expect.
    /// </summary>
    public static IEstimator<ITransformer> MapClassNamesToKey(this TransformsCatalog catalog, IReadOnlyList<string> classNames,
        string outputColumnName = "Label", string inputColumnName = "ClassName")
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(classNames);
        var data = Runtime.MLNetInternals.Data(Runtime.MLNetInternals.Environment(catalog));
        var keys = data.LoadFromEnumerable(classNames.Select(c => new KeyRow { Value = c }).ToList());
        return catalog.Conversion.MapValueToKey(outputColumnName, inputColumnName, keyData: keys);
    }

    /// <summary>
    /// The scoring part of a multiclass model: ONNX network on <c>Features</c>, then <c>Score</c> (class
    /// probabilities, in <paramref name="classNames"/> order) and <c>PredictedLabel</c> (a key over the class names);
    /// with <paramref name="heatmap"/> also <c>Heatmap</c>, the predicted class's Grad-CAM map (see
    /// <see cref="CastingClassHeatmapVerdict"/>).
    /// </summary>
    public static IEstimator<ITransformer> ScoreWithOnnxMulticlass(this TransformsCatalog catalog, byte[] onnxModel,
        CastingImageOptions image, IReadOnlyList<string> classNames, bool heatmap = false)
    {
        ArgumentNullException.ThrowIfNull(onnxModel);
        ArgumentNullException.ThrowIfNull(image);
        string? map = heatmap ? CastingModelCatalog.HeatmapOutput(onnxModel) : null;
        string[] outputs = map is null ? [OnnxContract.ScoresName, OnnxContract.ClassName] : [OnnxContract.ScoresName, OnnxContract.ClassName, map];
        var shapes = new Dictionary<string, int[]> { [OnnxContract.InputName] = [1, image.Channels, image.Height, image.Width] };
        return new SelfCleaningOnnxEstimator(onnxModel, file =>
        {
            var chain = catalog.ApplyOnnxModel(outputs, [OnnxContract.InputName], file, shapes, gpuDeviceId: null, fallbackToCpu: false, recursionLimit: 100)
                .Append(catalog.CustomMapping(new PredictedClassMappingFactory().GetMapping(), PredictedClassMappingFactory.ContractName))
                .Append(catalog.MapClassNamesToKey(classNames, "PredictedLabel", "PredictedClass"))
                .Append(catalog.CopyColumns("Score", OnnxContract.ScoresName));
            IEstimator<ITransformer> all = map is null ? chain : chain.Append(catalog.CopyColumns(nameof(CastingClassHeatmapVerdict.Heatmap), map));
            return all.Append(catalog.DropColumns([.. outputs, "PredictedClass"]));
        });
    }

    private sealed class KeyRow
    {
        public string Value { get; set; } = "";
    }
}
