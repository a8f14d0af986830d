using CastingDefects.ML.Training.Layers;

namespace CastingDefects.ML.Training.Models.Applications;

/// <summary>Helpers shared by the Keras application architectures.</summary>
internal static class KerasApplications
{
    /// <summary>Keras's <c>imagenet_utils.correct_pad</c>: the zero padding before a stride-2 "valid" convolution.</summary>
    public static ZeroPadding2D CorrectPad(TensorShape input, int kernel)
    {
        int adjustH = 1 - input.Height % 2, adjustW = 1 - input.Width % 2;
        int correct = kernel / 2;
        return new ZeroPadding2D(correct - adjustH, correct, correct - adjustW, correct);
    }

    /// <summary>Keras's <c>_make_divisible</c>: rounds channel counts to a multiple of the divisor, at most 10% down.</summary>
    public static int MakeDivisible(double value, int divisor = 8)
    {
        int result = Math.Max(divisor, (int)(value + divisor / 2.0) / divisor * divisor);
        if (result < 0.9 * value) result += divisor;
        return result;
    }

    /// <summary>Input of a backbone; the pretrained architectures need at least 32x32 pixels.</summary>
    public static KerasTensor Input(int channels, int height, int width, string architecture)
    {
        if (height < 32 || width < 32)
            throw new ArgumentOutOfRangeException(nameof(height), $"{architecture} needs inputs of at least 32x32 pixels, got {width}x{height}.");
        return Functional.Input((channels, height, width));
    }
}
