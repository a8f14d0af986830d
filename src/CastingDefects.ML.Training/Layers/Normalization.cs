using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Layers;

/// <summary>
/// Per-channel standardisation (x - mean) / std with statistics adapted from training data (Keras's
/// <c>Normalization</c> layer and <c>adapt</c>). Frozen during training; Keras counts mean, variance and count as
/// non-trainable (2C + 1). In ONNX it folds into the next convolution or Dense layer when the math allows.
/// </summary>
public sealed class Normalization : Layer, IChannelAffineLayer
{
    /// <summary>Fitted on the data, not learned: no state-dict entries.</summary>
    internal override IEnumerable<(string Key, Tensor Tensor)> WeightTensors(nn.Module<Tensor, Tensor> module) => [];

    /// <summary>A layer with given statistics.</summary>
    public Normalization(float[] mean, float[] variance)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(variance);
        if (mean.Length == 0 || mean.Length != variance.Length) throw new ArgumentException("mean and variance need one value per channel.", nameof(variance));
        if (variance.Any(v => v < 0 || float.IsNaN(v))) throw new ArgumentOutOfRangeException(nameof(variance), "variances must be non-negative.");
        Mean = mean;
        Variance = variance;
    }

    /// <summary>Per-channel mean.</summary>
    public IReadOnlyList<float> Mean { get; }

    /// <summary>Per-channel variance.</summary>
    public IReadOnlyList<float> Variance { get; }

    /// <inheritdoc />
    public override string KerasType => "Normalization";

    /// <summary>Computes the per-channel mean and variance of <paramref name="data"/> (Keras's <c>adapt</c>).</summary>
    public static Normalization Adapt(ImageTensorData data, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0) throw new ArgumentException("Normalization needs training images.", nameof(data));
        int c = data.Shape.Channels;
        var sum = new double[c];
        var sumSquares = new double[c];
        long n = 0;
        for (int start = 0; start < data.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var (x, _) = data.Batch(Enumerable.Range(start, Math.Min(batchSize, data.Count - start)).ToArray());
            var x64 = x.to_type(ScalarType.Float64);
            var s = x64.sum([0, 2, 3]).data<double>().ToArray();
            var s2 = (x64 * x64).sum([0, 2, 3]).data<double>().ToArray();
            for (int i = 0; i < c; i++) { sum[i] += s[i]; sumSquares[i] += s2[i]; }
            n += x.shape[0] * x.shape[2] * x.shape[3];
        }
        var mean = sum.Select(s => s / n).ToArray();
        return new Normalization(mean.Select(m => (float)m).ToArray(), sumSquares.Select((s2, i) => (float)Math.Max(s2 / n - mean[i] * mean[i], 0)).ToArray());
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(TensorShape input) => input.Channels == Mean.Count
        ? input
        : throw new ArgumentException($"{Name}: adapted to {Mean.Count} channels, got {input}.");

    /// <inheritdoc />
    public override long NonTrainableParameters(TensorShape input) => 2L * Mean.Count + 1;

    /// <summary>The map as y = x * scale + shift.</summary>
    ChannelAffine IChannelAffineLayer.Affine(nn.Module<Tensor, Tensor> module) => Affine();

    internal ChannelAffine Affine()
    {
        var scale = Variance.Select(v => (float)(1 / Math.Sqrt(Math.Max(v, 1e-7)))).ToArray();
        return new ChannelAffine(scale, Mean.Select((m, i) => -m * scale[i]).ToArray());
    }

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build(TensorShape input)
    {
        var affine = Affine();
        long[] dims = input.IsImage ? [1, affine.Scale.Length, 1, 1] : [1, affine.Scale.Length];
        var scale = tensor(affine.Scale).reshape(dims).DetachFromDisposeScope();
        var shift = tensor(affine.Shift).reshape(dims).DetachFromDisposeScope();
        return new Lambda(Name, x => x * scale + shift);
    }

    /// <inheritdoc />
    public override string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module) =>
        BatchNormalization.ExportAffine(graph, input, inputShape, Affine(), Name);
}
