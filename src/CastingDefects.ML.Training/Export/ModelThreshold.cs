using System.Globalization;
using CastingDefects.ML.Inference;
using CastingDefects.ML.IO;
using Google.Protobuf;
using Onnx;

namespace CastingDefects.ML.Training.Export;

/// <summary>
/// Stores a new decision threshold in a saved binary model, so that prediction (ML.NET's <c>PredictedLabel</c>, ONNX
/// Runtime's verdicts) uses it: the threshold constant of the ONNX graph inside the .zip and its metadata are
/// rewritten; nothing else changes.
/// </summary>
public static class ModelThreshold
{
    /// <summary>Copies <paramref name="modelPath"/> (.zip or .onnx) to <paramref name="outputPath"/> with the threshold set (atomically; both may be the same file).</summary>
    public static void Write(string modelPath, float threshold, string outputPath)
    {
        if (threshold is < 0 or > 1 || float.IsNaN(threshold))
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be a probability in [0, 1].");
        string full = InputFile.Require(modelPath);
        SavedModelNetwork.Rewrite(full, onnx => Update(onnx, threshold, full), outputPath);
    }

    /// <summary>The threshold stored in ONNX bytes exported by the library.</summary>
    public static float Read(byte[] onnx)
    {
        var model = ModelProto.Parser.ParseFrom(onnx);
        var entry = model.MetadataProps.FirstOrDefault(p => p.Key == OnnxContract.ThresholdKey)
            ?? throw new InvalidDataException("The model has no threshold: it is not a binary casting model.");
        return float.Parse(entry.Value, CultureInfo.InvariantCulture);
    }

    private static byte[] Update(byte[] onnx, float threshold, string source)
    {
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(onnx); }
        catch (InvalidProtocolBufferException e) { throw new InvalidDataException($"'{source}' holds an unreadable ONNX network: {e.Message}", e); }
        var constant = model.Graph.Initializer.FirstOrDefault(t => t.Name == "threshold")
            ?? throw new InvalidDataException($"'{source}' has no threshold: it is not a binary casting model (multiclass models predict the most probable class).");
        constant.RawData = ByteString.CopyFrom(BitConverter.GetBytes(threshold));
        constant.FloatData.Clear();
        var meta = model.MetadataProps.FirstOrDefault(p => p.Key == OnnxContract.ThresholdKey);
        if (meta is null) model.MetadataProps.Add(meta = new StringStringEntryProto { Key = OnnxContract.ThresholdKey });
        meta.Value = threshold.ToString("R", CultureInfo.InvariantCulture);
        return model.ToByteArray();
    }
}
