using CastingDefects.ML.Training.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Layers;

/// <summary>
/// Fixed per-channel rescaling, output channel c = input channel <c>source[c]</c> · scale[c] + offset[c] (Keras's
/// <c>Rescaling</c> with per-channel values, plus a channel map). It turns the library's [0, 1] planes into what a
/// pretrained backbone expects: ImageNet mean subtraction, RGB to BGR, or one gray plane repeated into three.
/// No parameters.
/// </summary>
public sealed class Rescaling : Layer
{
    /// <summary>Creates the layer; <paramref name="sourceChannels"/> defaults to the identity map.</summary>
    public Rescaling(float[] scale, float[] offset, int[]? sourceChannels = null)
    {
        ArgumentNullException.ThrowIfNull(scale);
        ArgumentNullException.ThrowIfNull(offset);
        if (scale.Length == 0 || scale.Length != offset.Length) throw new ArgumentException("scale and offset need one value per output channel.", nameof(offset));
        sourceChannels ??= Enumerable.Range(0, scale.Length).ToArray();
        if (sourceChannels.Length != scale.Length) throw new ArgumentException("sourceChannels needs one entry per output channel.", nameof(sourceChannels));
        Scale = scale; Offset = offset; SourceChannels = sourceChannels;
    }

    /// <summary>Caffe-style ImageNet input (ResNet, VGG): BGR order, 0..255 minus the per-channel mean, from [0, 1] RGB or gray planes.</summary>
    public static Rescaling CaffeImageNet(int inputChannels, (float B, float G, float R) mean) => new(
        [255f, 255f, 255f], [-mean.B, -mean.G, -mean.R], inputChannels == 1 ? [0, 0, 0] : [2, 1, 0]);

    /// <summary>Per-output-channel scale.</summary>
    public IReadOnlyList<float> Scale { get; }
    /// <summary>Per-output-channel offset.</summary>
    public IReadOnlyList<float> Offset { get; }
    /// <summary>Input channel read by each output channel.</summary>
    public IReadOnlyList<int> SourceChannels { get; }

    /// <inheritdoc />
    public override string KerasType => "Rescaling";

    /// <inheritdoc />
    public override TensorShape OutputShape(TensorShape input)
    {
        if (SourceChannels.Any(c => c < 0 || c >= input.Channels))
            throw new ArgumentException($"{Name}: the channel map [{string.Join(", ", SourceChannels)}] does not fit {input.Channels} input channel(s).");
        return input with { Channels = Scale.Count };
    }

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build(TensorShape input)
    {
        OutputShape(input);
        bool image = input.IsImage;
        long[] dims = image ? [1, Scale.Count, 1, 1] : [1, Scale.Count];
        var index = tensor(SourceChannels.Select(c => (long)c).ToArray());
        var scale = tensor(Scale.ToArray()).reshape(dims);
        var offset = tensor(Offset.ToArray()).reshape(dims);
        bool identity = IsChannelIdentity(input);
        return new Lambda(Name, x => (identity ? x : x.index_select(1, index)) * scale + offset);
    }

    /// <summary>True when output channel c reads input channel c for every channel (no gather needed).</summary>
    private bool IsChannelIdentity(TensorShape input) =>
        SourceChannels.Count == input.Channels && SourceChannels.Select((c, i) => c == i).All(b => b);

    /// <inheritdoc />
    public override string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module)
    {
        string x = IsChannelIdentity(inputShape) ? input : graph.Node("Gather", [input, graph.InitializerInt64(Name + "_channels", SourceChannels.Select(c => (long)c).ToArray())], null, OnnxGraphBuilder.Int("axis", 1));
        long[] dims = inputShape.IsImage ? [Scale.Count, 1, 1] : [Scale.Count];
        string scaled = graph.Node("Mul", [x, graph.Initializer(Name + "_scale", Scale.ToArray(), dims)]);
        return graph.Node("Add", [scaled, graph.Initializer(Name + "_offset", Offset.ToArray(), dims)], graph.Unique(Name));
    }
}
