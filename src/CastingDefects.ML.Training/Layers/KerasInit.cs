using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Layers;

/// <summary>Keras's default initialisers, applied in place under <c>no_grad</c>.</summary>
internal static class KerasInit
{
    /// <summary>Glorot (Xavier) uniform: U(-l, l), l = sqrt(6 / (fan_in + fan_out)).</summary>
    public static void GlorotUniform(Tensor weight, long fanIn, long fanOut)
    {
        double limit = Math.Sqrt(6.0 / (fanIn + fanOut));
        weight.uniform_(-limit, limit);
    }
}
