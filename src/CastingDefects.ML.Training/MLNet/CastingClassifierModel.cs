using CastingDefects.ML.Data;
using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Models;
using CastingDefects.ML.Training.Transfer;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>
/// What a fit of a casting classifier produced (ML.NET's <c>PredictionTransformer.Model</c>): the trained network, its
/// history, the ONNX model the scoring runs and what it stores (threshold, class names).
/// </summary>
/// <param name="Network">The trained network (TorchSharp); keep training it, prune it or explain it.</param>
/// <param name="History">Per-epoch history of the fit.</param>
/// <param name="OnnxModel">The exported network the fitted transformer scores with (deploy it with ONNX Runtime alone).</param>
/// <param name="Threshold">Decision threshold stored in a binary model (0.5 for a multiclass one).</param>
/// <param name="ClassNames">Class names in output order: good and defect for a binary model, the key values for a multiclass one.</param>
/// <param name="Image">The preprocessing the network takes.</param>
/// <param name="Transfer">For a transfer-learning fit: feature extraction and cache figures; null for a CNN.</param>
public sealed record CastingClassifierModel(Sequential Network, History History, byte[] OnnxModel, float Threshold,
    IReadOnlyList<string> ClassNames, CastingImageOptions Image, TransferResult? Transfer)
{
    /// <summary>The network, its history, the ONNX model and the threshold, for tuple-style reading.</summary>
    public void Deconstruct(out Sequential network, out History history, out byte[] onnxModel, out float threshold) =>
        (network, history, onnxModel, threshold) = (Network, History, OnnxModel, Threshold);

    /// <summary>True for a model of three or more classes.</summary>
    public bool IsMulticlass => ClassNames.Count > 2;
}
