using Onnx;

namespace CastingDefects.ML.Quantization;

/// <summary>
/// Which parts of a graph <see cref="OnnxQuantizer"/> quantizes, decided in one pass in node order (ONNX nodes are
/// topologically sorted):
/// <list type="bullet">
/// <item>every Conv with constant float weights, but for a dense one (one group) with a reduction depth (input channels
/// times kernel area) below <see cref="MinimumDepth"/>: its input, and its output, or the output of the ReLU that is the
/// output's only consumer (ONNX Runtime then drops the ReLU into the uint8 range, as its quantizer does);</item>
/// <item>a MaxPool whose input is quantized: its output, with the input's scale and zero point (ONNX Runtime then
/// pools the uint8 values directly);</item>
/// <item>an Add both of whose inputs are quantized (residual connections): its output, or its only ReLU's.</item>
/// </list>
/// A dense convolution left in float for its small depth (the gray paper CNN's first) is <see cref="Snapped"/>: its
/// weights are rounded to the int8 grid (per output channel) but stay float, so ONNX Runtime keeps its float kernel
/// while <see cref="Inference.Int8.Int8Network"/> runs exactly those weights in int8, both with the corrected bias.
/// A quantized convolution that reads a float max-pooling of a ReLU's output (behind a convolution left in float) gets a
/// second ReLU in front of its quantization (<see cref="Guarded"/>): the identity there, it keeps ONNX Runtime from
/// moving the quantization in front of the pooling (its QDQ propagation), where uint8 pooling runs in NCHW, measured
/// 5.5 ms against 0.11 ms in float for the paper CNN's first pooling at 300 px.
/// </summary>
internal sealed class QdqPlan
{
    /// <summary>
    /// Below this reduction depth a dense convolution stays float: ONNX Runtime's integer kernels are slower than its
    /// float ones there (measured on the paper CNN's first convolution, 1 channel, 3x3, at 300 px: 2.0 ms in int8 and
    /// 0.19 ms in float, one thread). Depthwise convolutions have their own integer kernels and are quantized.
    /// </summary>
    public const int MinimumDepth = 16;

    /// <summary>The convolutions whose weights become int8.</summary>
    public HashSet<NodeProto> Convolutions { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>Dense convolutions below <see cref="MinimumDepth"/>: float, with weights on the int8 grid.</summary>
    public HashSet<NodeProto> Snapped { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>Every activation that gets a QuantizeLinear / DequantizeLinear pair.</summary>
    public HashSet<string> Quantized { get; } = new(StringComparer.Ordinal);

    /// <summary>Activations that take another's scale and zero point (max-pooling outputs: their input's).</summary>
    public Dictionary<string, string> SharesWith { get; } = new(StringComparer.Ordinal);

    /// <summary>Float max-pooling outputs (of ReLU outputs) that get a ReLU before their quantization.</summary>
    public HashSet<string> Guarded { get; } = new(StringComparer.Ordinal);

    /// <summary>The activations whose ranges calibration measures (<see cref="Quantized"/> but for <see cref="SharesWith"/>).</summary>
    public IReadOnlyCollection<string> Calibrated => Quantized.Where(t => !SharesWith.ContainsKey(t)).ToList();

    /// <summary>Plans the quantization of <paramref name="graph"/>.</summary>
    public static QdqPlan Create(GraphProto graph, IReadOnlyCollection<string>? nodesToExclude = null)
    {
        var plan = new QdqPlan();
        var constants = graph.Initializer.Where(t => t.DataType == (int)TensorProto.Types.DataType.Float).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var weights = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var producers = graph.Node.SelectMany(n => n.Output.Select(o => (Output: o, Node: n))).ToDictionary(p => p.Output, p => p.Node, StringComparer.Ordinal);
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var consumers = graph.Node.SelectMany(n => n.Input.Distinct().Select(i => (Input: i, Node: n)))
            .GroupBy(p => p.Input, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(p => p.Node).ToList(), StringComparer.Ordinal);

        // The tensor that carries a result into the quantized domain: its only ReLU's output when it has one.
        string Activated(string tensor) =>
            !outputs.Contains(tensor) && consumers.TryGetValue(tensor, out var c) && c is [{ OpType: "Relu" } relu] ? relu.Output[0] : tensor;

        // A convolution of a computed input with constant weights and bias.
        bool HasConstantWeights(NodeProto conv) => conv.Input.Count >= 2 && !constants.Contains(conv.Input[0]) && constants.Contains(conv.Input[1])
            && (conv.Input.Count < 3 || conv.Input[2].Length == 0 || constants.Contains(conv.Input[2]));

        var excluded = new HashSet<string>(nodesToExclude ?? [], StringComparer.Ordinal);
        foreach (var node in graph.Node.Where(n => !excluded.Contains(n.Name)))
        {
            switch (node.OpType)
            {
                case "Conv" when HasConstantWeights(node) && Depth(weights[node.Input[1]]) < MinimumDepth && Groups(node) == 1:
                    plan.Snapped.Add(node);
                    break;
                case "Conv" when HasConstantWeights(node):
                    plan.Convolutions.Add(node);
                    if (!plan.Quantized.Contains(node.Input[0]) && producers.TryGetValue(node.Input[0], out var pool) && pool.OpType == "MaxPool"
                        && producers.TryGetValue(pool.Input[0], out var activation) && activation.OpType == "Relu")
                        plan.Guarded.Add(node.Input[0]);
                    plan.Quantized.Add(node.Input[0]);
                    plan.Quantized.Add(Activated(node.Output[0]));
                    break;
                case "MaxPool" when node.Output.Count == 1 && plan.Quantized.Contains(node.Input[0]):
                    plan.Quantized.Add(node.Output[0]);
                    plan.SharesWith[node.Output[0]] = plan.SharesWith.TryGetValue(node.Input[0], out var root) ? root : node.Input[0];
                    break;
                case "Add" when node.Input.Count == 2 && node.Input.All(plan.Quantized.Contains):
                    plan.Quantized.Add(Activated(node.Output[0]));
                    break;
            }
        }
        return plan;
    }

    private static long Depth(TensorProto weight) => weight.Dims.Skip(1).Aggregate(1L, (a, b) => a * b);

    private static long Groups(NodeProto conv) => conv.Attribute.FirstOrDefault(a => a.Name == "group")?.I ?? 1;
}
