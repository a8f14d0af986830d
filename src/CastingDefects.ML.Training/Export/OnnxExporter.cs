using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.Explainability;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;
using Google.Protobuf;

namespace CastingDefects.ML.Training.Export;

/// <summary>
/// The one ONNX exporter: every model is a <see cref="Functional"/> graph (a <see cref="Sequential"/> a linear one),
/// written node by node in inference mode, with the folds the layers declare:
/// <list type="bullet">
/// <item>a per-channel affine layer (<see cref="IChannelAffineLayer"/>: BatchNormalization, Normalization) right after
/// a convolution without activation, and its only consumer, goes into that convolution's weights;</item>
/// <item>any other is carried forward through the layers it commutes with (<see cref="IAffinePassThrough"/>: pooling,
/// dropout, flatten) into the next convolution that can take it (<see cref="IFoldingConvolution"/>) or Dense layer;
/// only where neither is possible does it become a Mul and an Add;</item>
/// <item>a ZeroPadding2D whose only consumer is a "valid" convolution becomes that convolution's pads.</item>
/// </list>
/// A classifier's graph then gets its head (<see cref="OnnxContract"/>) and, when asked, its Grad-CAM map
/// (<see cref="GradCamPlan"/>).
/// </summary>
internal static class OnnxExporter
{
    /// <summary>What the classifier export needs from the graph walk: the head without activation, the Grad-CAM taps.</summary>
    private sealed class ClassifierTaps(GradCamPlan? gradCam)
    {
        public GradCamPlan? GradCam { get; } = gradCam;
        public string? Features { get; set; }
        public ChannelAffine? PoolAffine { get; set; }
        public List<string> Hidden { get; } = new();
    }

    /// <summary>Writes a nested graph (a backbone inside a model) and returns the name of its output.</summary>
    public static string Graph(Functional model, GraphModule module, OnnxGraphBuilder graph, string input) =>
        Walk(model, module, graph, input, taps: null);

    /// <param name="model">The trained network.</param>
    /// <param name="threshold">Decision threshold of a binary model.</param>
    /// <param name="extraMetadata">Metadata added to the graph.</param>
    /// <param name="classNames">Class names of a multiclass model.</param>
    /// <param name="heatmap">True: add the heatmap output (the head must admit it); null: add it when the head admits it.</param>
    public static byte[] Classifier(Sequential model, float threshold, IReadOnlyDictionary<string, string>? extraMetadata, IReadOnlyList<string>? classNames, bool? heatmap)
    {
        if (threshold is < 0 or > 1 || float.IsNaN(threshold))
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be a probability in [0, 1].");
        var head = model.Head;
        string? reason = null;
        var gradCam = heatmap == false ? null : GradCamPlan.TryCreate(model, out reason);
        if (heatmap == true && gradCam is null) throw new ArgumentException($"No heatmap can be exported: {reason}", nameof(heatmap));
        var module = model.Module;
        bool wasTraining = module.training;
        module.eval();
        try
        {
            var graph = new OnnxGraphBuilder();
            var input = model.InputShape;
            graph.Input(OnnxContract.InputName, input.Channels, input.Height, input.Width);
            var taps = new ClassifierTaps(gradCam);
            string x = Walk(model.Graph, module, graph, OnnxContract.InputName, taps);
            gradCam?.ExportOnnx(graph, taps.Features!, taps.PoolAffine, taps.Hidden, x);

            if (head == HeadKind.SoftmaxN) ExportMulticlassHead(graph, x, model.Classes, classNames ?? Enumerable.Range(0, model.Classes).Select(i => $"class{i}").ToList());
            else ExportHead(graph, head, x, threshold);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [OnnxContract.ArchitectureKey] = model.Name,
                [OnnxContract.ChannelsKey] = input.Channels.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [OnnxContract.HeightKey] = input.Height.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [OnnxContract.WidthKey] = input.Width.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [OnnxContract.ThresholdKey] = threshold.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            };
            if (head == HeadKind.SoftmaxN)
                metadata[OnnxContract.ClassesKey] = string.Join("|", classNames ?? Enumerable.Range(0, model.Classes).Select(i => $"class{i}"));
            if (extraMetadata is not null)
                foreach (var (k, v) in extraMetadata) metadata[k] = v;
            return graph.Build(metadata, $"{model.Name}: casting defect classifier exported by CastingDefects.ML").ToByteArray();
        }
        finally
        {
            if (wasTraining) module.train();
        }
    }

    private static void ExportHead(OnnxGraphBuilder graph, HeadKind head, string logits, float threshold)
    {
        string flat = graph.InitializerInt64("shape_flat", -1);
        string probability;
        if (head == HeadKind.Sigmoid1)
        {
            graph.Node("Reshape", [logits, flat], OnnxContract.LogitName);
            probability = graph.Node("Sigmoid", [OnnxContract.LogitName], OnnxContract.ProbabilityName);
        }
        else
        {
            string one = graph.InitializerInt64("index_defect", 1), zero = graph.InitializerInt64("index_good", 0);
            string l1 = graph.Node("Gather", [logits, one], null, OnnxGraphBuilder.Int("axis", 1));
            string l0 = graph.Node("Gather", [logits, zero], null, OnnxGraphBuilder.Int("axis", 1));
            graph.Node("Reshape", [graph.Node("Sub", [l1, l0]), flat], OnnxContract.LogitName);
            string softmax = graph.Node("Softmax", [logits], null, OnnxGraphBuilder.Int("axis", 1));
            probability = graph.Node("Reshape", [graph.Node("Gather", [softmax, one], null, OnnxGraphBuilder.Int("axis", 1)), flat], OnnxContract.ProbabilityName);
        }
        string decision = graph.Node("GreaterOrEqual", [probability, graph.Initializer("threshold", [threshold])]);
        graph.Node("Cast", [decision], OnnxContract.DecisionName, OnnxGraphBuilder.Int("to", (long)Onnx.TensorProto.Types.DataType.Float));
        graph.Output(OnnxContract.LogitName);
        graph.Output(OnnxContract.ProbabilityName);
        graph.Output(OnnxContract.DecisionName);
    }

    private static void ExportMulticlassHead(OnnxGraphBuilder graph, string logits, int classes, IReadOnlyList<string> classNames)
    {
        string scores = graph.Node("Softmax", [logits], OnnxContract.ScoresName, OnnxGraphBuilder.Int("axis", 1));
        string index = graph.Node("ArgMax", [scores], null, OnnxGraphBuilder.Int("axis", 1), OnnxGraphBuilder.Int("keepdims", 0));
        graph.Node("Gather", [graph.InitializerStrings("class_names", classNames), index], OnnxContract.ClassName, OnnxGraphBuilder.Int("axis", 0));
        graph.Output(OnnxContract.ScoresName, classes);
        graph.OutputStrings(OnnxContract.ClassName);
    }

    /// <summary>A value of the graph being written: its ONNX name and the affine map still to apply to it, if any.</summary>
    private readonly record struct Value(string Name, ChannelAffine? Pending);

    /// <summary>
    /// Writes the nodes of <paramref name="model"/> and returns the name of its output. With <paramref name="taps"/> (a
    /// classifier) the output layer is written without its sigmoid or softmax, and the Grad-CAM taps are recorded.
    /// </summary>
    private static string Walk(Functional model, GraphModule module, OnnxGraphBuilder graph, string input, ClassifierTaps? taps)
    {
        var consumers = new Dictionary<KerasTensor, List<GraphNode>>();
        foreach (var node in model.Nodes)
            foreach (var i in node.Inputs)
            {
                if (!consumers.TryGetValue(i, out var list)) consumers[i] = list = new List<GraphNode>();
                list.Add(node);
            }
        GraphNode? OnlyConsumer(KerasTensor t) => consumers.TryGetValue(t, out var c) && c.Count == 1 && t != model.OutputTensor ? c[0] : null;
        bool IsHead(GraphNode node) => taps is not null && node.Output == model.OutputTensor;

        var values = new Dictionary<KerasTensor, Value> { [model.InputTensor] = new(input, null) };
        var pendingPads = new Dictionary<KerasTensor, (string Source, ZeroPadding2D Pad)>();
        var folded = new HashSet<GraphNode>();
        int index = -1;
        foreach (var node in model.Nodes)
        {
            index++;
            if (folded.Contains(node)) continue;
            var layer = node.Layer;
            var source = node.Inputs[0];
            var shape = source.Shape;
            switch (layer)
            {
                case MergeLayer merge:
                    Set(node.Output, merge.ExportOnnx(graph, node.Inputs.Select(i => Applied(i, merge.Name + "_in")).ToList()), null, merge.Name);
                    break;
                case ZeroPadding2D pad when Resolve(source).Pending is null
                    && OnlyConsumer(node.Output) is { Layer: IFoldingConvolution { Padding: Padding.Valid } }:
                    pendingPads[node.Output] = (Resolve(source).Name, pad);
                    break;
                case IFoldingConvolution conv:
                {
                    string x;
                    ChannelAffine? inputAffine = null;
                    (int, int, int, int) pads = default;
                    if (pendingPads.TryGetValue(source, out var p))
                    {
                        x = p.Source;
                        pads = (p.Pad.Top, p.Pad.Bottom, p.Pad.Left, p.Pad.Right);
                    }
                    else if (Resolve(source).Pending is not null && conv.CanAbsorbInputAffine(shape))
                        (x, inputAffine) = Resolve(source);
                    else x = Applied(source, layer.Name + "_in");
                    // A BatchNormalization right after a convolution without activation goes into its weights.
                    ChannelAffine? outputAffine = null;
                    var target = node;
                    if (conv.Activation == Activation.Linear && OnlyConsumer(node.Output) is { Layer: IChannelAffineLayer affine } next)
                    {
                        outputAffine = affine.Affine(module.ModuleOf(next.Layer.Name));
                        folded.Add(next);
                        target = next;
                    }
                    Set(target.Output, conv.ExportFolded(graph, x, shape, module.ModuleOf(layer.Name), inputAffine, outputAffine, applyActivation: !IsHead(target), pads),
                        null, target.Layer.Name);
                    break;
                }
                case IChannelAffineLayer affine:
                {
                    var map = affine.Affine(module.ModuleOf(layer.Name));
                    var (x, before) = Resolve(source);
                    Set(node.Output, x, before is null ? map : before.Then(map), layer.Name);
                    break;
                }
                case Dense dense:
                {
                    var (x, before) = Resolve(source);
                    string y = dense.ExportOnnx(graph, x, shape, module.ModuleOf(layer.Name), before, applyActivation: !IsHead(node));
                    if (taps?.GradCam is { } plan && index > plan.PoolIndex && !IsHead(node)) taps.Hidden.Add(y);
                    Set(node.Output, y, null, layer.Name);
                    break;
                }
                case IAffinePassThrough pass:
                {
                    var (x, before) = Resolve(source);
                    ChannelAffine? after = null;
                    if (before is not null && (after = pass.PassAffine(before, shape)) is null) x = Applied(source, layer.Name + "_in");
                    if (taps?.GradCam is { } plan && index == plan.PoolIndex) (taps.Features, taps.PoolAffine) = (x, before);
                    Set(node.Output, layer.ExportOnnx(graph, x, shape, module.ModuleOf(layer.Name)), after, layer.Name);
                    break;
                }
                case ActivationLayer when IsHead(node):
                    values[node.Output] = Resolve(source); // the head's sigmoid or softmax is applied after the graph
                    break;
                default:
                    Set(node.Output, layer.ExportOnnx(graph, Applied(source, layer.Name + "_in"), shape, module.ModuleOf(layer.Name)), null, layer.Name);
                    break;
            }
        }
        return Applied(model.OutputTensor, taps is null ? model.Name + "_out" : "head_in");

        // A carried map stays pending only on a value with one consumer; otherwise it is written at once.
        void Set(KerasTensor t, string name, ChannelAffine? pending, string label)
        {
            values[t] = new Value(name, pending);
            if (pending is not null && t != model.OutputTensor && OnlyConsumer(t) is null) Applied(t, label);
        }

        Value Resolve(KerasTensor t)
        {
            if (values.TryGetValue(t, out var value)) return value;
            if (pendingPads.TryGetValue(t, out var p)) // a padding whose convolution was not reached: write it after all
                return values[t] = new Value(p.Pad.ExportOnnx(graph, p.Source, t.Node!.Inputs[0].Shape, module.ModuleOf(p.Pad.Name)), null);
            throw new InvalidOperationException($"Tensor {t} was not exported before its use.");
        }

        // The value with any pending map written as Mul and Add.
        string Applied(KerasTensor t, string label)
        {
            var value = Resolve(t);
            if (value.Pending is null) return value.Name;
            string name = BatchNormalization.ExportAffine(graph, value.Name, t.Shape, value.Pending, label);
            values[t] = new Value(name, null);
            return name;
        }
    }
}
