using System.Globalization;
using CastingDefects.ML.Quantization;
using Onnx;

namespace CastingDefects.ML.Inference.Int8;

/// <summary>
/// Reads a QDQ graph written by <see cref="OnnxQuantizer"/> into an <see cref="Int8Network"/>: the chain of nodes
/// that computes the probability output (the heatmap branch is left out), taken as convolution layers
/// (Conv, ReLU, QuantizeLinear / DequantizeLinear, MaxPool in either order), global average pooling and a dense head.
/// Anything else throws <see cref="NotSupportedException"/> naming the node.
/// </summary>
internal static class Int8GraphReader
{
    /// <summary>Compiles <paramref name="model"/>.</summary>
    public static Int8Network Read(ModelProto model)
    {
        var graph = model.Graph;
        var meta = model.MetadataProps.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
        if (!meta.TryGetValue(OnnxContract.QuantizationKey, out var quantization) || quantization != OnnxQuantizer.Int8Qdq)
            throw new NotSupportedException("the network is not quantized (int8 QDQ)");
        if (meta.TryGetValue(OnnxContract.TaskKey, out var task) && task == OnnxContract.AnomalyTask)
            throw new NotSupportedException("anomaly detectors run on ONNX Runtime");
        int Get(string key) => meta.TryGetValue(key, out var v) && int.TryParse(v, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n : throw new InvalidDataException($"the network has no '{key}' metadata");
        int channels = Get(OnnxContract.ChannelsKey), height = Get(OnnxContract.HeightKey), width = Get(OnnxContract.WidthKey);
        bool multiclass = graph.Output.Any(o => o.Name == OnnxContract.ScoresName);
        var initializers = graph.Initializer.GroupBy(t => t.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var producers = graph.Node.SelectMany(n => n.Output.Select(o => (Output: o, Node: n))).GroupBy(p => p.Output)
            .ToDictionary(g => g.Key, g => g.First().Node, StringComparer.Ordinal);
        var chain = Chain(producers, graph.Node.Count, multiclass ? OnnxContract.ScoresName : OnnxContract.ProbabilityName);

        int next = 0;
        NodeProto? Peek(string op) => next < chain.Count && chain[next].OpType == op ? chain[next] : null;
        NodeProto Expect(string op) => Peek(op) is { } node ? chain[next++]
            : throw new NotSupportedException($"expected {op} after '{(next > 0 ? chain[next - 1].Name : "the input")}', found {(next < chain.Count ? chain[next].OpType + " '" + chain[next].Name + "'" : "the end")}");
        (float Scale, byte Zero) Quantized()
        {
            var q = Expect("QuantizeLinear");
            var dq = Expect("DequantizeLinear");
            if (dq.Input[1] != q.Input[1] || dq.Input[2] != q.Input[2]) throw new NotSupportedException($"'{dq.Name}' dequantizes with other parameters than it was quantized with");
            return (Scalar(initializers, q.Input[1]), q.Input.Count > 2 ? Bytes(initializers, q.Input[2])[0] : (byte)0);
        }

        // The contract's input: [0, 1] in steps of 1/255, unless the graph quantizes it itself.
        var (inputScale, inputZero) = Peek("QuantizeLinear") is not null ? Quantized() : (1f / 255, (byte)0);
        var (scale, zero) = (inputScale, inputZero);
        int c = channels, h = height, w = width;
        var convolutions = new List<Int8Convolution>();
        while (Peek("Conv") is { } conv)
        {
            next++;
            CheckConvolution(conv, initializers);
            var (weights, weightScales, shape) = Weights(conv.Input[1], initializers, producers);
            if (shape[1] != c) throw new NotSupportedException($"'{conv.Name}' takes {shape[1]} channels, not {c}");
            int outputs = shape[0], kh = shape[2], kw = shape[3];
            int[] bias = Bias(conv, outputs, scale, weightScales, initializers, producers);
            bool relu = Peek("Relu") is not null && Expect("Relu") is not null;
            bool pool = false;
            (float Scale, byte Zero) output;
            if (Peek("MaxPool") is { } floatPool)
            {
                // A float convolution: ReLU, pooling (and the quantizer's guard ReLU) before the quantization.
                next++;
                CheckPool(floatPool);
                pool = true;
                if (relu && Peek("Relu") is not null) next++;
                output = Quantized();
            }
            else
            {
                output = Quantized();
                if (Peek("MaxPool") is { } quantizedPool)
                {
                    next++;
                    CheckPool(quantizedPool);
                    pool = true;
                    if (Quantized() != output) throw new NotSupportedException($"'{quantizedPool.Name}' changes the quantization of its input");
                }
            }
            var multiplier = weightScales.Select(s => scale * s / output.Scale).ToArray();
            var layer = new Int8Convolution(c, h, w, kh, kw, weights, bias, zero, multiplier, output.Zero, relu, pool);
            convolutions.Add(layer);
            (c, h, w, scale, zero) = (layer.OutputChannels, layer.OutputHeight, layer.OutputWidth, output.Scale, output.Zero);
        }
        if (convolutions.Count == 0) throw new NotSupportedException($"the network does not start with a convolution ({(chain.Count > next ? chain[next].OpType : "nothing")} '{(chain.Count > next ? chain[next].Name : "")}')");
        Expect("GlobalAveragePool");

        var head = new List<Int8Dense>();
        int width1 = c;
        bool softmax = false, sigmoid = false;
        while (next < chain.Count)
        {
            var node = chain[next++];
            switch (node.OpType)
            {
                case "Flatten" or "Reshape" when !sigmoid && !softmax:
                    break;
                case "Gemm" when !sigmoid && !softmax:
                    bool relu = Peek("Relu") is not null && Expect("Relu") is not null;
                    var dense = Dense(node, width1, relu, initializers);
                    head.Add(dense);
                    width1 = dense.Outputs;
                    break;
                case "Sigmoid" when !multiclass && !sigmoid && !softmax:
                    sigmoid = true;
                    break;
                case "Softmax" when multiclass && !sigmoid && !softmax:
                    softmax = true;
                    break;
                default:
                    throw new NotSupportedException($"{node.OpType} '{node.Name}' in the head is not supported");
            }
        }
        if (head.Count == 0 || !(sigmoid || softmax)) throw new NotSupportedException("the head is not dense layers ending in a sigmoid or softmax");
        return new Int8Network(channels, height, width, inputScale, inputZero, convolutions.ToArray(), scale, zero, head.ToArray(), softmax);
    }

    /// <summary>The nodes from the input to <paramref name="output"/>, following each node's first input (<paramref name="nodes"/>: the graph's node count, which a chain without a cycle cannot exceed).</summary>
    private static List<NodeProto> Chain(Dictionary<string, NodeProto> producers, int nodes, string output)
    {
        var chain = new List<NodeProto>();
        for (string tensor = output; tensor != OnnxContract.InputName;)
        {
            if (!producers.TryGetValue(tensor, out var node)) throw new NotSupportedException($"'{tensor}' is neither computed nor the input '{OnnxContract.InputName}'");
            if (chain.Count > nodes) throw new InvalidDataException("the graph has a cycle");
            chain.Add(node);
            tensor = node.Input[0];
        }
        chain.Reverse();
        return chain;
    }

    private static void CheckConvolution(NodeProto conv, Dictionary<string, TensorProto> initializers)
    {
        foreach (var a in conv.Attribute)
        {
            bool ok = a.Name switch
            {
                "kernel_shape" => true,
                "strides" or "dilations" => a.Ints.All(v => v == 1),
                "pads" => a.Ints.All(v => v == 0),
                "group" => a.I == 1,
                "auto_pad" => a.S.ToStringUtf8() is "NOTSET" or "VALID",
                _ => false,
            };
            if (!ok) throw new NotSupportedException($"Conv '{conv.Name}' has {a.Name} other than a plain valid convolution's");
        }
        if (conv.Input.Count < 2) throw new NotSupportedException($"Conv '{conv.Name}' has no weights");
    }

    private static void CheckPool(NodeProto pool)
    {
        foreach (var a in pool.Attribute)
        {
            bool ok = a.Name switch
            {
                "kernel_shape" or "strides" => a.Ints.Count == 2 && a.Ints.All(v => v == 2),
                "pads" => a.Ints.All(v => v == 0),
                "ceil_mode" => a.I == 0,
                "auto_pad" => a.S.ToStringUtf8() is "NOTSET" or "VALID",
                "dilations" => a.Ints.All(v => v == 1),
                "storage_order" => a.I == 0,
                _ => false,
            };
            if (!ok) throw new NotSupportedException($"MaxPool '{pool.Name}' is not a 2x2, stride 2 pooling");
        }
        if (!pool.Attribute.Any(a => a.Name == "kernel_shape")) throw new NotSupportedException($"MaxPool '{pool.Name}' has no kernel shape");
        if (pool.Output.Count != 1) throw new NotSupportedException($"MaxPool '{pool.Name}' returns indices");
    }

    /// <summary>int8 weights with their per-output-channel scales: from the quantizer's DequantizeLinear, or quantized here the quantizer's way from float ones.</summary>
    private static (sbyte[] Weights, float[] Scales, int[] Shape) Weights(string name, Dictionary<string, TensorProto> initializers, Dictionary<string, NodeProto> producers)
    {
        if (initializers.TryGetValue(name, out var floats))
        {
            var shape = Shape(floats, 4);
            var w = OnnxQuantizer.TensorFloats(floats);
            var q = OnnxQuantizer.SymmetricInt8(w, shape[0], 127, out var scales);
            // Only weights the quantizer put on the int8 grid: a convolution kept in float on purpose (NodesToExclude)
            // or quantized by an older version stays with ONNX Runtime.
            int per = w.Length / scales.Length;
            for (int i = 0; i < w.Length; i++)
                if (Math.Abs(q[i] * scales[i / per] - w[i]) > scales[i / per] * 1e-3f)
                    throw new NotSupportedException($"the float weights '{name}' are not on the int8 grid (a convolution kept in float)");
            return (q, scales, shape);
        }
        if (!producers.TryGetValue(name, out var dq) || dq.OpType != "DequantizeLinear" || !initializers.TryGetValue(dq.Input[0], out var values)
            || values.DataType != (int)TensorProto.Types.DataType.Int8)
            throw new NotSupportedException($"the weights '{name}' are neither float nor int8 constants");
        if (dq.Input.Count > 2 && Bytes(initializers, dq.Input[2]).Any(b => b != 0)) throw new NotSupportedException($"the weights '{name}' are not symmetric");
        var dims = Shape(values, 4);
        var scalesOf = OnnxQuantizer.TensorFloats(initializers[dq.Input[1]]);
        if (scalesOf.Length != dims[0]) throw new NotSupportedException($"the weights '{name}' are not quantized per output channel");
        return (Bytes(initializers, dq.Input[0]).Select(b => unchecked((sbyte)b)).ToArray(), scalesOf, dims);
    }

    /// <summary>The int32 bias in units of input scale x weight scale (zero when the convolution has none).</summary>
    private static int[] Bias(NodeProto conv, int outputs, float inputScale, float[] weightScales, Dictionary<string, TensorProto> initializers, Dictionary<string, NodeProto> producers)
    {
        if (conv.Input.Count < 3 || conv.Input[2].Length == 0) return new int[outputs];
        string name = conv.Input[2];
        if (initializers.TryGetValue(name, out var floats))
        {
            var b = OnnxQuantizer.TensorFloats(floats);
            return b.Select((v, o) => (int)Math.Clamp(Math.Round((double)v / (inputScale * weightScales[o])), int.MinValue, int.MaxValue)).ToArray();
        }
        if (!producers.TryGetValue(name, out var dq) || dq.OpType != "DequantizeLinear" || !initializers.TryGetValue(dq.Input[0], out var values)
            || values.DataType != (int)TensorProto.Types.DataType.Int32)
            throw new NotSupportedException($"the bias '{name}' is neither float nor int32");
        int[] ints;
        if (values.RawData.Length > 0)
        {
            ints = new int[values.RawData.Length / 4];
            Buffer.BlockCopy(values.RawData.ToByteArray(), 0, ints, 0, ints.Length * 4);
        }
        else ints = values.Int32Data.ToArray();
        if (ints.Length != outputs) throw new NotSupportedException($"the bias '{name}' does not have one value per output channel");
        return ints;
    }

    private static Int8Dense Dense(NodeProto gemm, int inputs, bool relu, Dictionary<string, TensorProto> initializers)
    {
        long Attribute(string key, long fallback) => gemm.Attribute.FirstOrDefault(a => a.Name == key)?.I ?? fallback;
        float Factor(string key) => gemm.Attribute.FirstOrDefault(a => a.Name == key)?.F ?? 1f;
        if (Attribute("transA", 0) != 0 || Factor("alpha") != 1f || Factor("beta") != 1f || gemm.Input.Count < 3
            || !initializers.TryGetValue(gemm.Input[1], out var b) || !initializers.TryGetValue(gemm.Input[2], out var c))
            throw new NotSupportedException($"Gemm '{gemm.Name}' is not a dense layer with constant weights and bias");
        bool transposed = Attribute("transB", 0) != 0;
        var w = OnnxQuantizer.TensorFloats(b);
        var shape = Shape(b, 2);
        int outputs = transposed ? shape[0] : shape[1];
        if ((transposed ? shape[1] : shape[0]) != inputs) throw new NotSupportedException($"Gemm '{gemm.Name}' takes {(transposed ? shape[1] : shape[0])} values, not {inputs}");
        var weights = new float[outputs * inputs];
        for (int o = 0; o < outputs; o++)
            for (int i = 0; i < inputs; i++) weights[o * inputs + i] = transposed ? w[o * inputs + i] : w[i * outputs + o];
        var bias = OnnxQuantizer.TensorFloats(c);
        if (bias.Length != 1 && bias.Length != outputs) throw new NotSupportedException($"Gemm '{gemm.Name}' has a bias of {bias.Length} values for {outputs} outputs");
        return new Int8Dense(weights, Enumerable.Range(0, outputs).Select(o => bias[bias.Length == 1 ? 0 : o]).ToArray(), inputs, outputs, relu);
    }

    private static int[] Shape(TensorProto t, int rank) => t.Dims.Count == rank
        ? t.Dims.Select(d => checked((int)d)).ToArray()
        : throw new NotSupportedException($"'{t.Name}' has {t.Dims.Count} dimensions, not {rank}");

    private static float Scalar(Dictionary<string, TensorProto> initializers, string name) =>
        initializers.TryGetValue(name, out var t) ? OnnxQuantizer.TensorFloats(t).Single() : throw new NotSupportedException($"the scale '{name}' is not a constant");

    private static byte[] Bytes(Dictionary<string, TensorProto> initializers, string name)
    {
        if (!initializers.TryGetValue(name, out var t)) throw new NotSupportedException($"'{name}' is not a constant");
        if (t.RawData.Length > 0) return t.RawData.ToByteArray();
        return t.Int32Data.Select(v => unchecked((byte)v)).ToArray(); // int8/uint8 stored as int32_data
    }
}
