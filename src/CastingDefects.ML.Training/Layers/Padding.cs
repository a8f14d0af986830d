namespace CastingDefects.ML.Training.Layers;

/// <summary>Keras padding modes.</summary>
public enum Padding
{
    /// <summary>No padding: the output shrinks ("valid").</summary>
    Valid,
    /// <summary>Zero padding so that output = ceil(input / stride); extra padding goes bottom/right, as in Keras ("same").</summary>
    Same,
}

/// <summary>Padding arithmetic shared by convolution and pooling layers.</summary>
internal static class PaddingMath
{
    /// <summary>Output length and (before, after) padding along one axis.</summary>
    public static (int Output, int Before, int After) Axis(int input, int kernel, int stride, int dilation, Padding padding)
    {
        int effective = (kernel - 1) * dilation + 1;
        if (padding == Padding.Valid)
        {
            int output = (input - effective) / stride + 1;
            return (output, 0, 0);
        }
        int outSame = (input + stride - 1) / stride;
        int total = Math.Max((outSame - 1) * stride + effective - input, 0);
        return (outSame, total / 2, total - total / 2);
    }
}
