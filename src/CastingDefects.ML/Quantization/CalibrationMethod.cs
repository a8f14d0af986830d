namespace CastingDefects.ML.Quantization;

/// <summary>
/// How the range of each uint8 activation is chosen from the calibration images (ONNX Runtime's <c>CalibrationMethod</c>).
/// </summary>
public enum CalibrationMethod
{
    /// <summary>The smallest and largest value seen (ONNX Runtime's and TensorFlow Lite's default): nothing is clipped.</summary>
    MinMax,

    /// <summary>
    /// The range that holds <see cref="CastingQuantizationOptions.Percentile"/> percent of the values seen (a histogram of
    /// 2,048 bins per activation): rare large activations are clipped so the common ones get finer steps. An activation
    /// that is never negative keeps 0 as its lower end and loses only its upper tail; otherwise each tail gives half.
    /// </summary>
    Percentile,
}
