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

    /// <summary>How activation ranges are chosen from the calibration images (default <see cref="CalibrationMethod.MinMax"/>).</summary>
    public CalibrationMethod CalibrationMethod { get; set; } = CalibrationMethod.MinMax;

    /// <summary>
    /// With <see cref="CalibrationMethod.Percentile"/>: the percentage of each activation's calibration values its range
    /// keeps (default 99.999, ONNX Runtime's default; in (0, 100]).
    /// </summary>
    public double Percentile { get; set; } = 99.999;

    /// <summary>
    /// Empirical bias correction (as in OpenVINO NNCF, where it is on by default too): after calibration, the bias of
    /// each quantized convolution, and of each float Gemm behind them (the head), is moved, one node after the other,
    /// by the per-channel difference between its float and its quantized output averaged over the calibration images,
    /// so that rounding does not shift the channels' means nor the logits. Costs one run over the calibration images
    /// per convolution (ResNet18 transfer, 300 images: 299 s for the whole quantization against 69 s without). Default true.
    /// </summary>
    public bool BiasCorrection { get; set; } = true;

    /// <summary>
    /// Names of ONNX nodes (convolutions, residual additions) to leave in float (ONNX Runtime's <c>nodes_to_exclude</c>),
    /// for a layer an accuracy drop is traced to. Default none.
    /// </summary>
    public IReadOnlyCollection<string> NodesToExclude { get; set; } = [];

    /// <summary>Seed of the calibration sample taken from a folder (default 42).</summary>
    public int Seed { get; set; } = 42;
}
