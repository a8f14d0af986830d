namespace CastingDefects.ML.Benchmarking;

/// <summary>The ways the library runs a trained network.</summary>
public enum InferenceEngine
{
    /// <summary>ONNX Runtime directly (<see cref="Inference.CastingOnnxModel"/>): the deployment path.</summary>
    OnnxRuntime,
    /// <summary>
    /// ONNX Runtime on the network quantized to int8 (<see cref="Quantization.OnnxQuantizer"/>, calibrated on the
    /// benchmark's random images: latency does not depend on the ranges).
    /// </summary>
    OnnxRuntimeInt8,
    /// <summary>ML.NET: a <c>PredictionEngine</c> over the saved .zip, one row at a time.</summary>
    MLNet,
    /// <summary>TorchSharp eager mode (the training engine), under <c>no_grad</c>.</summary>
    TorchSharp,
}
