namespace CastingDefects.ML.Quantization;

/// <summary>
/// Options of post-training static int8 quantization (<see cref="OnnxQuantizer"/>), named after ONNX Runtime's own
/// quantization tool: per-channel int8 weights, uint8 activations whose ranges are calibrated on images, QDQ format.
/// </summary>
public sealed class CastingQuantizationOptions
{
    /// <summary>How many images calibrate the activation ranges (default 300, stratified by class when taken from a folder).</summary>
    public int CalibrationImages { get; set; } = 300;

    /// <summary>Images per calibration run of ONNX Runtime (default 16).</summary>
    public int CalibrationBatchSize { get; set; } = 16;

    /// <summary>
    /// Quantize weights with 7 bits instead of 8 (ONNX Runtime's <c>reduce_range</c>): can help accuracy on x64 CPUs
    /// without VNNI, where 8-bit products can saturate 16-bit sums. Default false.
    /// </summary>
    public bool ReduceRange { get; set; }

    /// <summary>Seed of the calibration sample taken from a folder (default 42).</summary>
    public int Seed { get; set; } = 42;
}
