using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Runtime;

/// <summary>
/// Channels-last (NHWC) strides for the image batches the networks train and predict on. TorchSharp 0.107 has no
/// <c>memory_format</c> argument, but libtorch follows the input's strides: given an NHWC-strided batch, oneDNN's
/// convolutions run their channels-last kernels without reordering, and the layers between them (ReLU,
/// BatchNormalization, max-pooling and their gradients) keep the layout and use their channels-last kernels, which
/// vectorize over the channels; in NCHW libtorch's max-pooling walks each plane element by element. Measured on 2
/// cores with the paper's CNN (gray, 128x128, batch 32, one thread): the forward pass went from 98 to 33 ms per batch.
/// The values are the same; only their order in memory and the kernels' summation order change.
/// </summary>
internal static class ChannelsLast
{
    /// <summary>
    /// The batch [N, C, H, W] with NHWC strides: a view for one plane (strides H·W, 1, W, 1, which libtorch reads as
    /// channels-last), a copy for more; anything that is not a 4-D batch is returned as is.
    /// </summary>
    public static Tensor Apply(Tensor x)
    {
        if (x.dim() != 4) return x;
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        if (c == 1) return x.is_contiguous() ? x.as_strided([n, 1, h, w], [h * w, 1, w, 1]) : Apply(x.contiguous());
        return x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
    }
}
