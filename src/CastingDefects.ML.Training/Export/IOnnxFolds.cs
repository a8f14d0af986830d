using CastingDefects.ML.Training.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Export;

/// <summary>
/// A layer whose inference-mode output is a per-channel affine map of its input (BatchNormalization, Normalization):
/// the exporter folds it into a neighbouring linear layer instead of writing Mul and Add.
/// </summary>
internal interface IChannelAffineLayer
{
    /// <summary>The map, from the layer's trained module.</summary>
    ChannelAffine Affine(nn.Module<Tensor, Tensor> module);
}

/// <summary>
/// A convolution that takes folds: a per-channel affine map of its input (when no zero padding mixes shifted zeros in),
/// the affine map of a BatchNormalization right after it (when it has no activation), and the zeros of a ZeroPadding2D
/// right before it (when its own padding is "valid").
/// </summary>
internal interface IFoldingConvolution : IHasActivation
{
    /// <summary>The convolution's own padding.</summary>
    Layers.Padding Padding { get; }

    /// <summary>True when an affine map of the input can go into the weights.</summary>
    bool CanAbsorbInputAffine(TensorShape input);

    /// <summary>Writes the convolution with the folds.</summary>
    string ExportFolded(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module,
        ChannelAffine? inputAffine, ChannelAffine? outputAffine, bool applyActivation, (int Top, int Bottom, int Left, int Right) extraPads);
}

/// <summary>
/// A layer that a per-channel affine map can pass through, to be folded further on (pooling, dropout, flatten):
/// f(a(x)) = a'(f(x)).
/// </summary>
internal interface IAffinePassThrough
{
    /// <summary>The map on the output equal to <paramref name="affine"/> on the input, or null when the layer does not commute with it.</summary>
    ChannelAffine? PassAffine(ChannelAffine affine, TensorShape input);
}
