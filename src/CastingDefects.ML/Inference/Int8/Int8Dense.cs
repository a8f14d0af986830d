namespace CastingDefects.ML.Inference.Int8;

/// <summary>
/// A float dense layer of an <see cref="Int8Network"/>'s head (ONNX Gemm: <c>y = W x + b</c>, optional ReLU), summed
/// in a fixed order: the same result on every CPU.
/// </summary>
internal sealed class Int8Dense(float[] weights, float[] bias, int inputs, int outputs, bool relu)
{
    /// <summary>Values in.</summary>
    public int Inputs { get; } = inputs;

    /// <summary>Values out.</summary>
    public int Outputs { get; } = outputs;

    /// <summary>The layer's output for <paramref name="x"/>.</summary>
    public float[] Apply(float[] x)
    {
        var y = new float[Outputs];
        for (int o = 0; o < Outputs; o++)
        {
            float sum = bias[o];
            for (int i = 0; i < Inputs; i++) sum += weights[o * Inputs + i] * x[i];
            y[o] = relu ? Math.Max(0, sum) : sum;
        }
        return y;
    }
}
