using CastingDefects.ML.Training.Pruning;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Layers;

/// <summary>
/// A layer that takes part in structured channel pruning (<see cref="ChannelPruning"/>): it says how its channels
/// follow its input's, gives a copy of itself for fewer channels, copies the kept slices of its weights and scores its
/// channels. Layers without this interface are boundaries: channels are never pruned across them. The defaults suit a
/// layer without weights that acts on each channel alone.
/// </summary>
internal interface IChannelPrunable
{
    /// <summary>How the output channels relate to the input channels for this input.</summary>
    ChannelRole ChannelRole(TensorShape input) => Layers.ChannelRole.Preserving;

    /// <summary>The layer for <paramref name="inputChannels"/> inputs and <paramref name="outputChannels"/> outputs, same name and trainability.</summary>
    Layer WithChannels(int inputChannels, int outputChannels) => (Layer)this;

    /// <summary>Copies the kept input and output channels of <paramref name="source"/>'s weights into <paramref name="target"/>.</summary>
    void CopyWeights(nn.Module<Tensor, Tensor> source, nn.Module<Tensor, Tensor> target, Tensor inputKeep, Tensor outputKeep) { }

    /// <summary>Importance of each output channel under <paramref name="criterion"/>, or null when the layer has no say.</summary>
    float[]? Importance(nn.Module<Tensor, Tensor> module, PruningCriterion criterion) => null;
}
