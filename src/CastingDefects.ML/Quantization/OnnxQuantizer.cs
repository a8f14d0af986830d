using System.Globalization;
using CastingDefects.ML.Inference;
using Google.Protobuf;
using Onnx;

namespace CastingDefects.ML.Quantization;

/// <summary>
/// Post-training static int8 quantization of an exported network (a classifier of any architecture, or an anomaly
/// detector), as ONNX Runtime's <c>quantize_static</c> does it in QDQ format: every convolution gets per-channel
/// symmetric int8 weights and an int32 bias behind DequantizeLinear nodes, and the activations around it (its input,
/// its output or the output of the ReLU that follows it, max-pooling and residual additions between them) a
/// QuantizeLinear / DequantizeLinear pair with a uint8 scale and zero point calibrated on images. ONNX Runtime fuses
/// these patterns into its integer kernels (QLinearConv, uint8 max pooling, QLinearAdd), with VNNI where the CPU has it.
/// The dense head, the sigmoid or softmax, the threshold and a Grad-CAM or anomaly map stay in float. By default the
/// biases are then corrected (<see cref="CastingQuantizationOptions.BiasCorrection"/>) so that rounding does not shift
/// channel means or logits. The input keeps its contract (<see cref="OnnxContract"/>): float [N, C, H, W] in [0, 1], whose uint8 scale is 1/255,
/// exact for 8-bit images.
/// </summary>
public static class OnnxQuantizer
{
    /// <summary>Value of <see cref="OnnxContract.QuantizationKey"/> in a network this class wrote.</summary>
    public const string Int8Qdq = "int8-qdq";

    private const int MinimumOpset = 13; // per-axis DequantizeLinear

    /// <summary>
    /// Quantizes <paramref name="onnx"/> (a float network exported by the library), calibrating activation ranges on
    /// <paramref name="calibrationImages"/> (preprocessed as the network takes them: C x H x W in [0, 1]). Refuses a
    /// network that is already quantized or has no convolution to quantize.
    /// </summary>
    public static byte[] Quantize(byte[] onnx, IEnumerable<float[]> calibrationImages, CastingQuantizationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        ArgumentNullException.ThrowIfNull(calibrationImages);
        options ??= new CastingQuantizationOptions();
        if (options.CalibrationBatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.CalibrationBatchSize, "CalibrationBatchSize must be at least 1.");
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(onnx); }
        catch (InvalidProtocolBufferException e) { throw new InvalidDataException($"The network is not an ONNX model: {e.Message}", e); }
        if (model.MetadataProps.Any(p => p.Key == OnnxContract.QuantizationKey))
            throw new InvalidOperationException("The network is already quantized (int8); quantize the float model it came from.");
        long opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
        if (opset < MinimumOpset) throw new InvalidDataException($"The network uses ONNX opset {opset}; int8 quantization needs {MinimumOpset} or later.");

        var plan = QdqPlan.Create(model.Graph, options.NodesToExclude);
        if (plan.Convolutions.Count == 0) throw new InvalidDataException("The network has no convolution with constant weights: there is nothing to quantize.");
        var images = options.BiasCorrection ? calibrationImages.ToList() : calibrationImages;
        var ranges = ActivationCalibration.Ranges(model, plan.Calibrated, images, options);
        var inputs = model.Graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in plan.Calibrated.Where(inputs.Contains))
            ranges[name] = (Math.Min(0, ranges[name].Min), Math.Max(1, ranges[name].Max)); // the image contract: [0, 1] in steps of 1/255
        var quantized = options.BiasCorrection
            ? CorrectBiases(model, plan, ranges, options, (IReadOnlyCollection<float[]>)images)
            : Rewrite(model, plan, ranges, options, new Dictionary<NodeProto, double[]>(ReferenceEqualityComparer.Instance));
        return quantized.ToByteArray();
    }

    /// <summary>
    /// Empirical bias correction: the output of each quantized convolution (before its activation) and of each float
    /// Gemm behind them (the head) is averaged per channel over the calibration images in the float network and in the
    /// quantized one, and the difference is added to the node's bias, so that rounding does not shift the channels'
    /// means (nor, at the end, the logits). One node after the other in graph order, each measured with the
    /// corrections upstream of it in place (ONNX Runtime runs only the part of the graph a measurement needs).
    /// </summary>
    private static ModelProto CorrectBiases(ModelProto model, QdqPlan plan, Dictionary<string, (float Min, float Max)> ranges, CastingQuantizationOptions options,
        IReadOnlyCollection<float[]> images)
    {
        var corrections = new Dictionary<NodeProto, double[]>(ReferenceEqualityComparer.Instance);
        var quantized = Rewrite(model, plan, ranges, options, corrections);
        var nodes = model.Graph.Node.SkipWhile(n => !plan.Convolutions.Contains(n) && !plan.Snapped.Contains(n))
            .Where(n => plan.Convolutions.Contains(n) || plan.Snapped.Contains(n) || IsCorrectableGemm(model.Graph, n)).ToList();
        // A node's output keeps its name in the quantized graph unless it is quantized itself (then it is renamed).
        string QuantizedName(NodeProto node) => plan.Quantized.Contains(node.Output[0]) ? node.Output[0] + FloatSuffix : node.Output[0];
        var gemms = nodes.Where(n => n.OpType == "Gemm").Select(n => n.Output[0]).ToHashSet(StringComparer.Ordinal);
        var reference = ActivationCalibration.ChannelMeans(model, nodes.Select(c => c.Output[0]).ToList(), images, options.CalibrationBatchSize, unpooled: gemms);
        foreach (var node in nodes)
        {
            string name = QuantizedName(node);
            double[] want = reference[node.Output[0]], got = ActivationCalibration.ChannelMeans(quantized, [name], images, options.CalibrationBatchSize, unpooled: gemms)[name];
            corrections[node] = want.Zip(got, (w, g) => w - g).ToArray();
            quantized = Rewrite(model, plan, ranges, options, corrections);
        }
        return quantized;
    }

    /// <summary>A Gemm whose weights and bias (C) are constant float initializers.</summary>
    private static bool IsCorrectableGemm(GraphProto graph, NodeProto node) =>
        node.OpType == "Gemm" && node.Input.Count == 3 && node.Input.Skip(1).All(i => graph.Initializer.Any(t => t.Name == i && t.DataType == (int)TensorProto.Types.DataType.Float));

    private const string FloatSuffix = "__float";

    private static ModelProto Rewrite(ModelProto source, QdqPlan plan, Dictionary<string, (float Min, float Max)> ranges, CastingQuantizationOptions options,
        IReadOnlyDictionary<NodeProto, double[]> biasCorrections)
    {
        var model = source.Clone();
        var graph = model.Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var nodes = source.Graph.Node; // the plan's nodes; the copy's are rebuilt below
        graph.Node.Clear();
        var scales = new Dictionary<string, (string Scale, string ZeroPoint, float Value)>(StringComparer.Ordinal);
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);

        (string Scale, string ZeroPoint, float Value) Parameters(string tensor)
        {
            if (scales.TryGetValue(tensor, out var p)) return p;
            if (plan.SharesWith.TryGetValue(tensor, out var root)) return scales[tensor] = Parameters(root);
            var (min, max) = ranges[tensor];
            float scale = max > min ? (max - min) / 255f : 1f;
            byte zeroPoint = (byte)Math.Clamp(Math.Round(-min / scale), 0, 255);
            string s = Add(graph, Scalar(tensor + "__scale", scale)), z = Add(graph, Bytes(tensor + "__zero_point", TensorProto.Types.DataType.Uint8, [zeroPoint], []));
            return scales[tensor] = (s, z, scale);
        }

        void QuantizeDequantize(string input, string output, string tensor)
        {
            var (s, z, _) = Parameters(tensor);
            graph.Node.Add(Node("QuantizeLinear", [input, s, z], tensor + "__quantized"));
            graph.Node.Add(Node("DequantizeLinear", [tensor + "__quantized", s, z], output));
        }

        foreach (var input in graph.Input.Where(i => plan.Quantized.Contains(i.Name)))
            QuantizeDequantize(input.Name, renamed[input.Name] = input.Name + "__dequantized", input.Name);

        foreach (var original in nodes)
        {
            var node = original.Clone();
            for (int i = 0; i < node.Input.Count; i++)
                if (renamed.TryGetValue(node.Input[i], out var name)) node.Input[i] = name;
            if (plan.Convolutions.Contains(original))
            {
                float inputScale = Parameters(original.Input[0]).Value;
                var weight = initializers[original.Input[1]];
                float[] weightScales = WeightDequantization(graph, weight, options.ReduceRange, out string weightName);
                node.Input[1] = weightName;
                biasCorrections.TryGetValue(original, out var correction);
                if (HasBias(original) || correction is not null)
                {
                    var (bias, name) = CorrectedBias(original, initializers, weightScales.Length, correction);
                    SetBias(node, BiasDequantization(graph, name, bias, weightScales.Select(s => s * inputScale).ToArray()));
                }
            }
            else if (plan.Snapped.Contains(original))
            {
                // Float weights on the int8 grid (q x scale per output channel) and the corrected bias: ONNX Runtime's
                // float kernel and the int8 kernels then compute the same convolution. Full 8 bits whatever
                // ReduceRange says: that option is for ONNX Runtime's integer kernels, which do not run this one.
                var weight = initializers[original.Input[1]];
                float[] w = TensorFloats(weight);
                var q = SymmetricInt8(w, (int)weight.Dims[0], 127, out var steps);
                int per = w.Length / steps.Length;
                var snapped = new float[w.Length];
                for (int i = 0; i < w.Length; i++) snapped[i] = q[i] * steps[i / per];
                var snappedWeight = Floats(weight.Name + "__int8_grid", snapped);
                snappedWeight.Dims.Clear();
                snappedWeight.Dims.AddRange(weight.Dims);
                node.Input[1] = Add(graph, snappedWeight);
                if (biasCorrections.TryGetValue(original, out var correction))
                {
                    var (bias, name) = CorrectedBias(original, initializers, steps.Length, correction);
                    SetBias(node, Add(graph, Floats(name + "__corrected", bias)));
                }
            }
            else if (original.OpType == "Gemm" && biasCorrections.TryGetValue(original, out var shift))
            {
                float[] c = TensorFloats(initializers[original.Input[2]]);
                var bias = new float[shift.Length];
                for (int k = 0; k < bias.Length; k++) bias[k] = (float)((c.Length == 1 ? c[0] : c[k]) + shift[k]);
                node.Input[2] = Add(graph, Floats(original.Input[2] + "__corrected", bias));
            }
            var quantizedOutputs = node.Output.Where(plan.Quantized.Contains).ToList();
            for (int i = 0; i < node.Output.Count; i++)
                if (plan.Quantized.Contains(node.Output[i])) node.Output[i] += FloatSuffix;
            graph.Node.Add(node);
            foreach (var output in quantizedOutputs)
            {
                string value = output + FloatSuffix;
                if (plan.Guarded.Contains(output))
                {
                    graph.Node.Add(Node("Relu", [value], output + "__guarded"));
                    value = output + "__guarded";
                }
                QuantizeDequantize(value, output, output);
            }
        }

        // The float weights the integer ones replaced, unless something else still reads them.
        var read = graph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        foreach (var unused in graph.Initializer.Where(t => !read.Contains(t.Name)).ToList()) graph.Initializer.Remove(unused);
        model.MetadataProps.Add(new StringStringEntryProto { Key = OnnxContract.QuantizationKey, Value = Int8Qdq });
        model.DocString = (model.DocString.Length > 0 ? model.DocString + "; " : "") +
            string.Create(CultureInfo.InvariantCulture, $"int8 (QDQ): {plan.Convolutions.Count} convolutions with per-channel int8 weights{(options.ReduceRange ? " (7 bits)" : "")}, {plan.Quantized.Count} uint8 activations, {plan.Snapped.Count} float convolutions on the int8 grid");
        return model;
    }

    /// <summary>True when a convolution has a bias input (an optional input left empty counts as none).</summary>
    private static bool HasBias(NodeProto conv) => conv.Input.Count > 2 && conv.Input[2].Length > 0;

    /// <summary>
    /// A convolution's float bias (zeros when it has none) plus the bias correction, if any, and the name its
    /// replacement is derived from (the bias's own, or one made from the output's).
    /// </summary>
    private static (float[] Bias, string Name) CorrectedBias(NodeProto conv, Dictionary<string, TensorProto> initializers, int channels, double[]? correction)
    {
        bool hasBias = HasBias(conv);
        float[] bias = hasBias ? TensorFloats(initializers[conv.Input[2]]) : new float[channels];
        if (correction is not null)
            for (int c = 0; c < bias.Length; c++) bias[c] = (float)(bias[c] + correction[c]);
        return (bias, hasBias ? conv.Input[2] : conv.Output[0] + "_bias");
    }

    /// <summary>Points a convolution at a new bias: replaces its bias input, or adds it (filling an empty optional slot).</summary>
    private static void SetBias(NodeProto conv, string bias)
    {
        if (conv.Input.Count > 2) conv.Input[2] = bias;
        else conv.Input.Add(bias);
    }

    /// <summary>Adds the int8 weights (per output channel, symmetric) and their DequantizeLinear; returns the scales.</summary>
    private static float[] WeightDequantization(GraphProto graph, TensorProto weight, bool reduceRange, out string dequantized)
    {
        float[] w = TensorFloats(weight);
        int channels = (int)weight.Dims[0];
        var q = System.Runtime.InteropServices.MemoryMarshal.AsBytes(SymmetricInt8(w, channels, reduceRange ? 63 : 127, out var scales).AsSpan()).ToArray();
        string values = Add(graph, Bytes(weight.Name + "__int8", TensorProto.Types.DataType.Int8, q, weight.Dims.ToArray()));
        string s = Add(graph, Floats(weight.Name + "__scale", scales));
        string z = Add(graph, Bytes(weight.Name + "__zero_point", TensorProto.Types.DataType.Int8, new byte[channels], [channels]));
        dequantized = weight.Name + "__dequantized";
        graph.Node.Add(Node("DequantizeLinear", [values, s, z], dequantized, axis: 0));
        return scales;
    }

    /// <summary>Adds the int32 bias (scale = input scale x weight scale, zero point 0, as QLinearConv takes it) and its DequantizeLinear.</summary>
    private static string BiasDequantization(GraphProto graph, string name, float[] b, float[] scales)
    {
        var q = new byte[b.Length * 4];
        for (int c = 0; c < b.Length; c++)
        {
            if (scales[c] <= 0) scales[c] = 1f;
            int v = (int)Math.Clamp(Math.Round((double)b[c] / scales[c]), int.MinValue, int.MaxValue);
            BitConverter.TryWriteBytes(q.AsSpan(c * 4), v);
        }
        string values = Add(graph, Bytes(name + "__int32", TensorProto.Types.DataType.Int32, q, [b.Length]));
        string s = Add(graph, Floats(name + "__scale", scales));
        string z = Add(graph, Bytes(name + "__zero_point", TensorProto.Types.DataType.Int32, new byte[b.Length * 4], [b.Length]));
        string dequantized = name + "__dequantized";
        graph.Node.Add(Node("DequantizeLinear", [values, s, z], dequantized, axis: 0));
        return dequantized;
    }

    /// <summary>
    /// Symmetric int8 values of <paramref name="w"/> per output channel (the first dimension of <paramref name="channels"/>
    /// equal parts): scale = largest magnitude / <paramref name="limit"/>, rounded half to even. The quantizer's weights,
    /// and those <see cref="Inference.Int8.Int8Network"/> makes of a convolution the quantizer left in float.
    /// </summary>
    internal static sbyte[] SymmetricInt8(float[] w, int channels, int limit, out float[] scales)
    {
        int per = w.Length / channels;
        scales = new float[channels];
        var q = new sbyte[w.Length];
        for (int c = 0; c < channels; c++)
        {
            float max = 0;
            for (int i = c * per; i < (c + 1) * per; i++) max = Math.Max(max, Math.Abs(w[i]));
            float scale = scales[c] = max > 0 ? max / limit : 1f;
            for (int i = c * per; i < (c + 1) * per; i++) q[i] = (sbyte)Math.Clamp(Math.Round(w[i] / scale), -limit, limit);
        }
        return q;
    }

    /// <summary>The values of a float initializer.</summary>
    internal static float[] TensorFloats(TensorProto t)
    {
        if (t.DataType != (int)TensorProto.Types.DataType.Float) throw new InvalidDataException($"Initializer '{t.Name}' is not float.");
        if (t.FloatData.Count > 0) return t.FloatData.ToArray();
        var values = new float[t.RawData.Length / 4];
        Buffer.BlockCopy(t.RawData.ToByteArray(), 0, values, 0, values.Length * 4);
        return values;
    }

    private static string Add(GraphProto graph, TensorProto tensor)
    {
        graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    private static TensorProto Scalar(string name, float value) => new()
    {
        Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(BitConverter.GetBytes(value)),
    };

    private static TensorProto Floats(string name, float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(bytes) };
        t.Dims.Add(values.Length);
        return t;
    }

    private static TensorProto Bytes(string name, TensorProto.Types.DataType type, byte[] raw, long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        t.Dims.AddRange(dims);
        return t;
    }

    private static NodeProto Node(string op, string[] inputs, string output, long? axis = null)
    {
        var node = new NodeProto { OpType = op, Name = output + "__node" };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        if (axis is { } a) node.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = a });
        return node;
    }
}
