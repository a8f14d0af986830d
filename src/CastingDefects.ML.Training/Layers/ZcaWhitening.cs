using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Layers;

/// <summary>
/// ZCA whitening that is really fitted on training data. Full-image ZCA (Keras's <c>zca_whitening</c>) needs a
/// (C·H·W)² covariance: 8.1e9 entries at 300x300 gray, which is why the paper's declared ZCA never ran. This layer
/// whitens k x k patches instead (convolutional ZCA, as in Coates and Ng): it estimates the patch mean and covariance
/// from sampled training patches, forms W = U diag(1 / sqrt(λ + ε)) Uᵀ, and applies the row of W at each patch's
/// centre as a fixed convolution ("same" size). Put it first in a model; it is frozen during training (counted as
/// non-trainable) and exported to ONNX as an ordinary Conv, so deployed models whiten by themselves.
/// </summary>
public sealed class ZcaWhitening : Layer
{
    /// <summary>Fitted on the data, not learned: no state-dict entries.</summary>
    internal override IEnumerable<(string Key, Tensor Tensor)> WeightTensors(nn.Module<Tensor, Tensor> module) => [];

    private ZcaWhitening(int channels, int patchSize, float[] kernel, float[] bias, double epsilon)
    {
        Channels = channels;
        PatchSize = patchSize;
        Kernel = kernel;
        Bias = bias;
        Epsilon = epsilon;
    }

    /// <summary>Channels of the input (and output).</summary>
    public int Channels { get; }

    /// <summary>Patch width and height (odd).</summary>
    public int PatchSize { get; }

    /// <summary>Regulariser added to the eigenvalues.</summary>
    public double Epsilon { get; }

    /// <summary>Fitted filters [C, C, k, k].</summary>
    public IReadOnlyList<float> Kernel { get; }

    /// <summary>Fitted offsets [C] (minus the filtered patch mean).</summary>
    public IReadOnlyList<float> Bias { get; }

    /// <inheritdoc />
    public override string KerasType => "ZcaWhitening";

    /// <summary>
    /// Fits the whitening on <paramref name="samples"/> random k x k patches of <paramref name="data"/> (seeded).
    /// </summary>
    public static ZcaWhitening Fit(ImageTensorData data, int patchSize = 5, double epsilon = 1e-3, int samples = 20000, int seed = 42)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (patchSize < 1 || patchSize % 2 == 0) throw new ArgumentOutOfRangeException(nameof(patchSize), patchSize, "patchSize must be odd and positive.");
        if (epsilon <= 0) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be positive.");
        if (data.Count == 0) throw new ArgumentException("ZCA needs training images.", nameof(data));
        var shape = data.Shape;
        if (shape.Height < patchSize || shape.Width < patchSize) throw new ArgumentException($"Images of {shape} are smaller than a {patchSize}x{patchSize} patch.", nameof(data));

        int c = shape.Channels, k = patchSize, d = c * k * k;
        var random = new Random(seed);
        using var scope = NewDisposeScope();
        var patches = new float[samples * d];
        const int perImage = 16;
        for (int s = 0; s < samples; s += perImage)
        {
            var (image, _) = data.Batch([random.Next(data.Count)]);
            var pixels = image.data<float>().ToArray();
            for (int j = 0; j < perImage && s + j < samples; j++)
            {
                int y0 = random.Next(shape.Height - k + 1), x0 = random.Next(shape.Width - k + 1);
                int o = (s + j) * d;
                for (int ch = 0; ch < c; ch++)
                    for (int dy = 0; dy < k; dy++)
                        for (int dx = 0; dx < k; dx++)
                            patches[o++] = pixels[(ch * shape.Height + y0 + dy) * shape.Width + x0 + dx];
            }
        }
        var x = tensor(patches, [samples, d]).to_type(ScalarType.Float64);
        var mean = x.mean([0]);
        var centred = x - mean;
        var covariance = centred.t().matmul(centred) / (samples - 1);
        var (eigenvalues, eigenvectors) = linalg.eigh(covariance);
        var w = eigenvectors.matmul(diag((eigenvalues.clamp_min(0) + epsilon).rsqrt())).matmul(eigenvectors.t()); // [d, d], symmetric

        // Output channel ch is the whitened value of the centre pixel of channel ch: row (ch, centre) of W.
        int centre = (k / 2) * k + k / 2;
        var rows = cat(Enumerable.Range(0, c).Select(ch => w[ch * k * k + centre].unsqueeze(0)).ToArray(), 0); // [C, d]
        var bias = -(rows.matmul(mean));
        return new ZcaWhitening(c, k, rows.to_type(ScalarType.Float32).data<float>().ToArray(), bias.to_type(ScalarType.Float32).data<float>().ToArray(), epsilon);
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(TensorShape input)
    {
        if (!input.IsImage || input.Channels != Channels)
            throw new ArgumentException($"{Name}: fitted on {Channels}-channel images, got {input}.");
        return input;
    }

    /// <inheritdoc />
    public override long NonTrainableParameters(TensorShape input) => Kernel.Count + Bias.Count;

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Build(TensorShape input)
    {
        var conv = nn.Conv2d(Channels, Channels, PatchSize, padding: PatchSize / 2, bias: true);
        using (no_grad())
        {
            conv.weight!.copy_(tensor(Kernel.ToArray(), [Channels, Channels, PatchSize, PatchSize]));
            conv.bias!.copy_(tensor(Bias.ToArray()));
        }
        conv.weight!.requires_grad = false;
        conv.bias!.requires_grad = false;
        return conv;
    }

    /// <inheritdoc />
    public override string ExportOnnx(OnnxGraphBuilder graph, string input, TensorShape inputShape, nn.Module<Tensor, Tensor> module)
    {
        int p = PatchSize / 2;
        return graph.Node("Conv",
            [input, graph.Initializer(Name + "_W", Kernel.ToArray(), Channels, Channels, PatchSize, PatchSize), graph.Initializer(Name + "_B", Bias.ToArray(), Channels)],
            graph.Unique(Name),
            OnnxGraphBuilder.Ints("kernel_shape", PatchSize, PatchSize), OnnxGraphBuilder.Ints("pads", p, p, p, p));
    }
}
