namespace CastingDefects.ML.Benchmarking;

/// <summary>Size of a model (the paper's Table 1).</summary>
/// <param name="Model">Model name.</param>
/// <param name="TotalParams">All parameters, Keras-counted.</param>
/// <param name="TrainableParams">Trainable parameters.</param>
/// <param name="NonTrainableParams">BatchNormalization moving statistics.</param>
/// <param name="OnnxBytes">Size of the exported ONNX file (float32 weights, BatchNormalization folded).</param>
public sealed record ModelFootprint(string Model, long TotalParams, long TrainableParams, long NonTrainableParams, long OnnxBytes)
{
    /// <summary>ONNX size in MB (10^6 bytes, as the paper's table).</summary>
    public double OnnxMegabytes => OnnxBytes / 1e6;
}
