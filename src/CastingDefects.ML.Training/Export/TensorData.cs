using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Export;

/// <summary>Copies tensors out of TorchSharp as float arrays.</summary>
internal static class TensorData
{
    /// <summary>The values of <paramref name="tensor"/>, row-major, as float32.</summary>
    public static float[] ToArray(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        return tensor.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
    }
}
