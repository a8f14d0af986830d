using CastingDefects.ML.Data;
using CastingDefects.ML.Evaluation;
using CastingDefects.ML.Inference;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>
/// Exports a binary network with its decision threshold. A threshold chosen for a target recall is chosen on the
/// probabilities of the exported network itself, run by ML.NET's ONNX transformer on the validation images (the path
/// users predict with), not on TorchSharp's: the two differ in the last bits, and a threshold equal to one engine's
/// lowest defect probability could miss that defect in the other, depending on the CPU's vector code.
/// </summary>
internal static class TargetRecallThreshold
{
    /// <summary>The threshold and the ONNX model that stores it.</summary>
    public static (float Threshold, byte[] Onnx) Export(TransformsCatalog transforms, Func<float, IReadOnlyDictionary<string, string>?, byte[]> export,
        float threshold, double? targetRecall, CastingImageOptions image, IDataView? validationView, string labelColumn)
    {
        byte[] onnx = export(threshold, null);
        if (targetRecall is not { } recall) return (threshold, onnx);
        if (validationView is null) throw new InvalidOperationException("TargetRecall needs validation data (ValidationSet or ValidationFraction > 0) to choose the threshold on.");
        var scorer = transforms.ScoreWithOnnx(onnx, image).Fit(validationView);
        float[] probabilities;
        bool[] labels;
        try
        {
            var scored = scorer.Transform(validationView);
            probabilities = BinaryScores.Read(scored).Probabilities;
            labels = scored.GetColumn<bool>(labelColumn).ToArray();
        }
        finally
        {
            scorer.DisposeModel();
        }
        float chosen = ThresholdSelection.ForTargetRecall(labels, probabilities, recall);
        return (chosen, export(chosen, null));
    }
}
