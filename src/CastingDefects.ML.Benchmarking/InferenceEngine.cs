namespace CastingDefects.ML.Benchmarking;

/// <summary>The ways the library runs a trained network.</summary>
public enum InferenceEngine
{
    /// <summary>ONNX Runtime directly (<see cref="Inference.CastingOnnxModel"/>): the deployment path.</summary>
    OnnxRuntime,
    /// <summary>
    /// ONNX Runtime's integer kernels on the network quantized to int8 (<see cref="Quantization.OnnxQuantizer"/>, calibrated on the
    /// benchmark's random images: latency does not depend on the ranges).
    /// </summary>
    OnnxRuntimeInt8,
    /// <summary>
    /// The same int8 network on the library's own integer kernels (<see cref="Inference.Int8.Int8Network"/>, as
    /// <see cref="Inference.CastingOnnxModel"/> runs it by default): plain convolutional networks such as the paper's
    /// CNN, on CPUs with AVX-VNNI; other networks and CPUs are skipped.
    /// </summary>
    Int8Kernels,
    /// <summary>ML.NET: a <c>PredictionEngine</c> over the saved .zip, one row at a time.</summary>
    MLNet,
    /// <summary>TorchSharp eager mode (the training engine), under <c>no_grad</c>.</summary>
    TorchSharp,
}
