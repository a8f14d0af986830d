using CastingDefects.ML.Data;
using CastingDefects.ML.IO;
using Microsoft.ML;

namespace CastingDefects.ML.Inference;

/// <summary>
/// The ONNX network inside a saved model: a model .zip or a bare .onnx file. Writes a model with its network rewritten
/// (a pruned network, a new threshold), atomically. A .zip is not patched byte by byte: its scoring chain is built again
/// through ML.NET's public API, as <c>train</c> builds it (<c>LoadCastingImages</c>, then the ONNX scoring of the
/// network's task), and saved with the original model's input schema.
/// </summary>
public static class SavedModelNetwork
{
    /// <summary>
    /// Copies <paramref name="modelPath"/> to <paramref name="outputPath"/> with its ONNX network replaced by
    /// <paramref name="onnx"/>, which must take the same input and give the same outputs (a pruned, retrained or
    /// quantized network of the same task). Both paths may be the same file; an <paramref name="outputPath"/> ending in
    /// .onnx gets the bare network.
    /// </summary>
    public static void Replace(string modelPath, byte[] onnx, string outputPath)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        Rewrite(modelPath, _ => onnx, outputPath);
    }

    /// <summary>The ONNX network of a model .zip or .onnx file (a missing or foreign file fails with a message naming it).</summary>
    public static byte[] Read(string modelPath)
    {
        string full = InputFile.Require(modelPath);
        return CastingOnnxModel.Network(File.ReadAllBytes(full), $"Model file '{full}'");
    }

    /// <summary>Copies the model with its network passed through <paramref name="update"/> (given the ONNX bytes).</summary>
    internal static void Rewrite(string modelPath, Func<byte[], byte[]> update, string outputPath)
    {
        string full = InputFile.Require(modelPath);
        byte[] network = update(Read(full));
        if (full.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) || outputPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            AtomicFile.Write(outputPath, s => s.Write(network)); // a bare network (from a .onnx, or asked for as .onnx)
            return;
        }
        var ml = new MLContext();
        ml.Model.LoadCastingModel(full, out var inputSchema).DisposeModel(); // the columns the model was saved to take
        CastingImageOptions image;
        IReadOnlyList<string> classes;
        using (var runtime = new CastingOnnxModel(network, intraOpThreads: 1))
            (image, classes) = (runtime.Image, runtime.Classes);
        var scoring = classes.Count > 0 ? ml.Transforms.ScoreWithOnnxMulticlass(network, image, classes) : ml.Transforms.ScoreWithOnnx(network, image);
        var model = ml.Transforms.LoadCastingImages(image).Append(scoring).Fit(new CastingModelCatalog.EmptyView(inputSchema));
        try
        {
            AtomicFile.Write(outputPath, s => ml.Model.Save(model, inputSchema, s));
        }
        finally
        {
            model.DisposeModel();
        }
    }
}
