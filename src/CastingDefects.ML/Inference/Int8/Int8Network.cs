using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Google.Protobuf;
using Onnx;

namespace CastingDefects.ML.Inference.Int8;

/// <summary>
/// A classifier quantized by <see cref="Quantization.OnnxQuantizer"/> run by the library's own integer kernels instead
/// of ONNX Runtime: plain convolutional networks like the paper's CNN (3x3-style valid convolutions with ReLU and 2x2
/// max-pooling, global average pooling, a dense head, sigmoid or softmax). Each convolution, its ReLU and its pooling
/// are one pass over uint8 channels-last activations (<see cref="Int8Convolution"/>), so the 16 x 298 x 298 float
/// activations of the paper's first layer are never written. The first convolution, which the quantizer leaves in float
/// because ONNX Runtime's integer kernel is slow there, runs in int8 here: the quantizer puts its float weights on the
/// int8 grid (per output channel) and corrects its bias, and its input is the contract's [0, 1] in steps of 1/255, so
/// nothing is rounded that ONNX Runtime does not round too (a float convolution off the grid is refused). The heatmap
/// output is not computed: <see cref="CastingOnnxModel"/> fetches heatmaps from ONNX Runtime. Thread-safe; up to the
/// final sigmoid or softmax (the runtime's exponential) the result does not depend on the CPU: exact integer sums, the
/// same element-wise float steps on both paths, the head summed in a fixed order.
/// </summary>
public sealed class Int8Network
{
    private readonly Int8Convolution[] _convolutions;
    private readonly float _inputScale;
    private readonly byte _inputZero;
    private readonly float _outputScale; // of the last convolution's uint8 output, which global average pooling reads
    private readonly byte _outputZero;
    private readonly Int8Dense[] _head;
    private readonly bool _softmax;

    internal Int8Network(int channels, int height, int width, float inputScale, byte inputZero, Int8Convolution[] convolutions,
        float outputScale, byte outputZero, Int8Dense[] head, bool softmax)
    {
        Channels = channels; Height = height; Width = width;
        _inputScale = inputScale; _inputZero = inputZero;
        _convolutions = convolutions;
        _outputScale = outputScale; _outputZero = outputZero;
        _head = head;
        _softmax = softmax;
        _bufferLength = Math.Max(channels * height * width, convolutions.Max(c => c.OutputLength)) + Int8Convolution.Slack;
    }

    /// <summary>Bytes of each of the two activation buffers a prediction alternates between.</summary>
    private readonly int _bufferLength;

    /// <summary>Input channels (1 gray, 3 RGB).</summary>
    public int Channels { get; }

    /// <summary>Input height in pixels.</summary>
    public int Height { get; }

    /// <summary>Input width in pixels.</summary>
    public int Width { get; }

    /// <summary>Values per image of <see cref="Probabilities"/>: 1 (the defect's) or the class count.</summary>
    public int Outputs => _head[^1].Outputs;

    /// <summary>True where the CPU has the integer dot-product instructions (AVX-VNNI) the kernels use; elsewhere a portable loop gives the same result, slower.</summary>
    public static bool IsAccelerated => Int8Convolution.IsAccelerated;

    /// <summary>Takes the portable loop even where the CPU is accelerated (tests: both give the same bytes).</summary>
    internal bool Portable { get; private init; }

    /// <summary>The same network on the portable loop.</summary>
    internal Int8Network WithPortableKernels() =>
        new(Channels, Height, Width, _inputScale, _inputZero, _convolutions, _outputScale, _outputZero, _head, _softmax) { Portable = true };

    /// <summary>
    /// Compiles a network quantized by <see cref="Quantization.OnnxQuantizer"/>; null, with the reason, when its graph is
    /// not one these kernels run (residual or padded convolutions, strides, other pooling, an anomaly detector…): ONNX
    /// Runtime runs those.
    /// </summary>
    public static Int8Network? TryCreate(byte[] onnx, out string reason)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(onnx); }
        catch (InvalidProtocolBufferException e) { reason = $"not an ONNX model: {e.Message}"; return null; }
        try
        {
            var network = Int8GraphReader.Read(model);
            reason = "";
            return network;
        }
        catch (Exception e) when (e is NotSupportedException or InvalidDataException or ArgumentException)
        {
            reason = e.Message;
            return null;
        }
    }

    /// <summary>The probabilities of one preprocessed image (C x H x W in [0, 1]): the defect's, or every class's.</summary>
    public float[] Probabilities(ReadOnlySpan<float> pixels)
    {
        if (pixels.Length != Channels * Height * Width)
            throw new ArgumentException($"The network takes one image of {Channels}x{Height}x{Width} ({Channels * Height * Width} values); got {pixels.Length}.", nameof(pixels));
        byte[] a = ArrayPool<byte>.Shared.Rent(_bufferLength), b = ArrayPool<byte>.Shared.Rent(_bufferLength);
        try
        {
            Quantize(pixels, a);
            foreach (var convolution in _convolutions)
            {
                convolution.Run(a, b, accelerated: !Portable);
                (a, b) = (b, a);
            }
            var last = _convolutions[^1];
            float[] values = AveragePool(a, last.OutputHeight * last.OutputWidth, last.OutputChannels);
            foreach (var layer in _head) values = layer.Apply(values);
            return _softmax ? Softmax(values) : values.Select(v => 1f / (1f + MathF.Exp(-v))).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(a);
            ArrayPool<byte>.Shared.Return(b);
        }
    }

    /// <summary>C x H x W floats to H x W x C uint8 at the input's scale and zero point (round half to even, clamped).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Quantize(ReadOnlySpan<float> pixels, Span<byte> output)
    {
        int plane = Height * Width;
        var inverse = Vector512.Create(1f / _inputScale);
        for (int c = 0; c < Channels; c++)
        {
            var channel = pixels.Slice(c * plane, plane);
            int i = 0;
            for (; i <= plane - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var bytes = Int8Convolution.ToBytes(Int8Convolution.RoundToGrid(Vector512.Create(channel.Slice(i, Vector512<float>.Count)) * inverse, _inputZero, 0));
                if (Channels == 1) bytes.CopyTo(output.Slice(i, Vector128<byte>.Count));
                else
                    for (int k = 0; k < Vector128<byte>.Count; k++) output[(i + k) * Channels + c] = bytes.GetElement(k); // interleave (RGB)
            }
            for (; i < plane; i++) output[i * Channels + c] = Int8Convolution.ToBytes(Int8Convolution.RoundToGrid(Vector512.Create(channel[i]) * inverse, _inputZero, 0)).GetElement(0);
        }
    }

    /// <summary>Global average pooling of the last uint8 activations: exact integer sums, then the scale.</summary>
    private float[] AveragePool(ReadOnlySpan<byte> activations, int pixels, int channels)
    {
        var sums = new long[channels];
        for (int p = 0; p < pixels; p++)
            for (int c = 0; c < channels; c++) sums[c] += activations[p * channels + c];
        return sums.Select(s => (float)((s - (double)pixels * _outputZero) * _outputScale / pixels)).ToArray();
    }

    private static float[] Softmax(float[] logits)
    {
        float max = logits.Max();
        var e = logits.Select(v => MathF.Exp(v - max)).ToArray();
        float sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }
}
