using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Inference.Int8;
using CastingDefects.ML.Quantization;
using Onnx;

namespace CastingDefects.ML.Tests;

/// <summary>
/// The library's int8 kernels: every convolution path (VNNI tiles, the one-channel first layer, the last odd block,
/// rows narrower than a tile, the portable loop) gives exactly the integers of a plain reference, whatever the CPU; a
/// quantized paper CNN predicts on them as on ONNX Runtime's integer kernels; and networks they do not run are refused
/// with the reason.
/// </summary>
public class Int8KernelTests
{
    private static string Asset(string name) => Path.Combine(AppContext.BaseDirectory, "assets", name);

    /// <summary>
    /// The reference: a direct loop over output pixels, channels and taps, with the same requantization formula
    /// written out (sum of (input - zero point) x weight, plus the bias, times the multiplier, clamped to +-512,
    /// rounded half to even, plus the output zero point, clamped to [ReLU floor, 255]), then 2x2 max-pooling.
    /// </summary>
    private static byte[] Reference(byte[] input, int c, int h, int w, int kh, int kw, sbyte[] weights, int[] bias, byte inputZero,
        float[] multiplier, byte outputZero, bool relu, bool pool)
    {
        int oc = bias.Length, ch = h - kh + 1, cw = w - kw + 1;
        var conv = new byte[ch * cw * oc];
        for (int y = 0; y < ch; y++)
            for (int x = 0; x < cw; x++)
                for (int o = 0; o < oc; o++)
                {
                    int sum = bias[o];
                    for (int i = 0; i < c; i++)
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++)
                                sum += (input[((y + ky) * w + x + kx) * c + i] - inputZero) * weights[((o * c + i) * kh + ky) * kw + kx];
                    float scaled = Math.Clamp(sum * multiplier[o], -512f, 512f);
                    int q = (int)MathF.Round(scaled, MidpointRounding.ToEven) + outputZero;
                    conv[(y * cw + x) * oc + o] = (byte)Math.Clamp(q, relu ? outputZero : 0, 255);
                }
        if (!pool) return conv;
        int ph = ch / 2, pw = cw / 2;
        var pooled = new byte[ph * pw * oc];
        for (int y = 0; y < ph; y++)
            for (int x = 0; x < pw; x++)
                for (int o = 0; o < oc; o++)
                    pooled[(y * pw + x) * oc + o] = Math.Max(
                        Math.Max(conv[((2 * y) * cw + 2 * x) * oc + o], conv[((2 * y) * cw + 2 * x + 1) * oc + o]),
                        Math.Max(conv[((2 * y + 1) * cw + 2 * x) * oc + o], conv[((2 * y + 1) * cw + 2 * x + 1) * oc + o]));
        return pooled;
    }

    /// <summary>
    /// Shapes that take each path: the paper's one-channel 16-filter first layer (pooled), 16 to 16 and 16 to 8
    /// channels (block pairs, the last odd block), 8 to 24 channels unpooled at a width that is no multiple of four
    /// (the last tile moved back), three rows narrower than a tile (portable loop), odd channel counts and a 2x3 kernel.
    /// </summary>
    [Theory]
    [InlineData(1, 20, 22, 3, 3, 16, true, true)]
    [InlineData(16, 13, 15, 3, 3, 16, true, true)]
    [InlineData(16, 11, 12, 3, 3, 8, true, true)]
    [InlineData(8, 9, 11, 3, 3, 24, true, false)]
    [InlineData(8, 5, 5, 3, 3, 8, false, false)]
    [InlineData(3, 10, 9, 2, 3, 5, true, true)]
    [InlineData(5, 7, 12, 3, 2, 13, false, false)]
    public void Convolution_gives_the_reference_bytes_on_every_path(int c, int h, int w, int kh, int kw, int oc, bool relu, bool pool)
    {
        var random = new Random(c * 1000 + oc);
        var input = new byte[h * w * c + Int8Convolution.Slack];
        random.NextBytes(input);
        var weights = Enumerable.Range(0, oc * c * kh * kw).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        var bias = Enumerable.Range(0, oc).Select(_ => random.Next(-20_000, 20_000)).ToArray();
        var multiplier = Enumerable.Range(0, oc).Select(_ => (float)(random.NextDouble() * 0.002)).ToArray();
        byte inputZero = 17, outputZero = 9;
        var layer = new Int8Convolution(c, h, w, kh, kw, weights, bias, inputZero, multiplier, outputZero, relu, pool);
        var expected = Reference(input, c, h, w, kh, kw, weights, bias, inputZero, multiplier, outputZero, relu, pool);
        Assert.Equal(expected.Length, layer.OutputLength);
        Assert.Contains(expected, v => v > outputZero + 20); // the sums reach beyond the clamps: a test that could fail

        var accelerated = new byte[layer.OutputLength];
        var portable = new byte[layer.OutputLength];
        layer.Run(input, accelerated); // VNNI where the CPU has it
        layer.Run(input, portable, accelerated: false);
        Assert.Equal(expected, portable);
        Assert.Equal(expected, accelerated);
    }

    private static float[] SyntheticImage(int seed, bool defective)
    {
        using var bitmap = Synthetic.SyntheticCastingGenerator.Render(seed, 0, defective, 64, 1f, out _);
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        var pixels = new float[64 * 64];
        CastingImagePreprocessor.Load(data.ToArray(), $"synthetic {seed}", new CastingImageOptions { Width = 64, Height = 64, Grayscale = true }, pixels);
        return pixels;
    }

    /// <summary>
    /// The paper CNN (gray, 64 px), quantized: the kernels read its graph (five convolutions, the first one's float
    /// weights on the int8 grid), run it the same on both paths, and predict what ONNX Runtime's integer kernels
    /// predict on the same graph (within 0.05, 0.01 on average); <see cref="CastingOnnxModel"/> takes them by default
    /// where the CPU has AVX-VNNI.
    /// </summary>
    [Fact]
    public void Quantized_paper_cnn_predicts_on_the_kernels_as_on_onnx_runtime()
    {
        byte[] fp32 = File.ReadAllBytes(Asset("paper-gray-64.onnx"));
        var images = Enumerable.Range(0, 24).Select(i => SyntheticImage(100 + i, defective: i % 2 == 0)).ToList();
        byte[] int8 = OnnxQuantizer.Quantize(fp32, images.Take(12));

        var network = Int8Network.TryCreate(int8, out string reason);
        Assert.True(network is not null, reason);
        Assert.Equal((1, 64, 64, 1), (network.Channels, network.Height, network.Width, network.Outputs));
        var portable = network.WithPortableKernels();

        using var runtime = new CastingOnnxModel(int8, intraOpThreads: 1) { UseInt8Kernels = false };
        Assert.Equal(CastingOnnxModel.OnnxRuntimeEngine, runtime.Engine);
        float[] onnxRuntime = runtime.PredictProbabilities(images.SelectMany(i => i).ToArray(), images.Count);
        using var kernels = new CastingOnnxModel(int8, intraOpThreads: 2);
        Assert.Equal(Int8Network.IsAccelerated ? CastingOnnxModel.Int8KernelsEngine : CastingOnnxModel.OnnxRuntimeEngine, kernels.Engine);
        float[] batch = kernels.PredictProbabilities(images.SelectMany(i => i).ToArray(), images.Count);

        double total = 0;
        for (int i = 0; i < images.Count; i++)
        {
            float p = network.Probabilities(images[i])[0];
            Assert.Equal(p, portable.Probabilities(images[i])[0]); // bit for bit: exact integers, the same float steps
            Assert.Equal(Int8Network.IsAccelerated ? p : onnxRuntime[i], batch[i], Int8Network.IsAccelerated ? 0f : 1e-5f);
            // The two engines round a few activations differently (float against integer sums before the same
            // requantization); at 64 px the last layer has 2 x 2 pixels, so one step shows: up to 0.03 measured.
            Assert.True(Math.Abs(p - onnxRuntime[i]) < 0.05f, $"image {i}: kernels {p}, ONNX Runtime {onnxRuntime[i]}");
            total += Math.Abs(p - onnxRuntime[i]);
        }
        Assert.True(total / images.Count < 0.01, $"mean difference {total / images.Count}"); // 0.004 measured
        Assert.True(onnxRuntime.Max() - onnxRuntime.Min() > 0.2f, "the images should not all look alike to the network");
    }

    /// <summary>
    /// A float network, bytes that are no ONNX model, a quantized network with padded convolutions and one whose float
    /// first convolution is off the int8 grid are refused, with the reason.
    /// </summary>
    [Fact]
    public void Networks_the_kernels_do_not_run_are_refused_with_the_reason()
    {
        byte[] fp32 = File.ReadAllBytes(Asset("paper-gray-64.onnx"));
        Assert.Null(Int8Network.TryCreate(fp32, out string reason));
        Assert.Contains("not quantized", reason);
        Assert.Null(Int8Network.TryCreate([1, 2, 3], out reason));
        Assert.Contains("not an ONNX model", reason);

        var images = Enumerable.Range(0, 4).Select(i => SyntheticImage(i, i % 2 == 0)).ToList();
        var padded = ModelProto.Parser.ParseFrom(OnnxQuantizer.Quantize(fp32, images));
        var conv = padded.Graph.Node.Where(n => n.OpType == "Conv").Skip(1).First();
        conv.Attribute.Single(a => a.Name == "pads").Ints.Clear();
        conv.Attribute.Single(a => a.Name == "pads").Ints.AddRange([1, 1, 1, 1]);
        Assert.Null(Int8Network.TryCreate(Google.Protobuf.MessageExtensions.ToByteArray(padded), out reason));
        Assert.Contains($"Conv '{conv.Name}' has pads", reason);

        // A first convolution whose float weights are off the int8 grid (quantized before the quantizer put them on
        // it, or kept in float on purpose) stays with ONNX Runtime.
        var offGrid = ModelProto.Parser.ParseFrom(OnnxQuantizer.Quantize(fp32, images));
        var first = offGrid.Graph.Node.First(n => n.OpType == "Conv");
        Assert.Equal("conv2d_W__int8_grid", first.Input[1]);
        offGrid.Graph.Initializer.Add(ModelProto.Parser.ParseFrom(fp32).Graph.Initializer.Single(t => t.Name == "conv2d_W"));
        first.Input[1] = "conv2d_W";
        Assert.Null(Int8Network.TryCreate(Google.Protobuf.MessageExtensions.ToByteArray(offGrid), out reason));
        Assert.Contains("'conv2d_W' are not on the int8 grid", reason);
    }
}
