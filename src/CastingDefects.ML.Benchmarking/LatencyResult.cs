namespace CastingDefects.ML.Benchmarking;

/// <summary>One measured configuration.</summary>
/// <param name="Model">Model name: paper, paper-gray, mobilenetv2, nasnetmobile, resnet50, resnet18.</param>
/// <param name="Engine">Engine name: onnxruntime, mlnet, torchsharp.</param>
/// <param name="Batch">Images per call.</param>
/// <param name="Threads">Threads (1, or the core count for "all").</param>
/// <param name="ImageSize">Input width and height.</param>
/// <param name="Runs">Measured calls.</param>
/// <param name="MeanMs">Mean milliseconds per call.</param>
/// <param name="MedianMs">Median milliseconds per call.</param>
/// <param name="MsPerImage">Median milliseconds per image.</param>
/// <param name="AllocatedBytesPerCall">Managed bytes allocated per call (this thread).</param>
public sealed record LatencyResult(string Model, string Engine, int Batch, int Threads, int ImageSize, int Runs,
    double MeanMs, double MedianMs, double MsPerImage, long AllocatedBytesPerCall)
{
    /// <summary>How many times slower than the custom model (paper-gray) on the same engine, batch and threads; set by <see cref="LatencyBenchmark"/>.</summary>
    public double? SpeedupVsCustom { get; init; }
}
