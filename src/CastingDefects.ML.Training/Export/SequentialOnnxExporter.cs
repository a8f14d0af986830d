using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;
using Google.Protobuf;

namespace CastingDefects.ML.Training.Export;

/// <summary>
/// Exports a trained <see cref="Sequential"/> to ONNX following <see cref="OnnxContract"/>. Inference-mode
/// BatchNormalization is folded away: backwards into a preceding convolution without activation, or forwards through
/// max pooling (when every scale is positive), global pooling, dropout and flatten into the next convolution without
/// zero padding or the next Dense layer. Only where neither is possible does it become a Mul and an Add. With a
/// heatmap, the graph also returns the Grad-CAM map (<see cref="Explainability.GradCamPlan"/>).
/// </summary>
internal static class SequentialOnnxExporter
{
    /// <param name="model">The trained network.</param>
    /// <param name="threshold">Decision threshold of a binary model.</param>
    /// <param name="extraMetadata">Metadata added to the graph.</param>
    /// <param name="classNames">Class names of a multiclass model.</param>
    /// <param name="heatmap">True: add the heatmap output (the head must admit it); null: add it when the head admits it.</param>
    public static byte[] Export(Sequential model, float threshold, IReadOnlyDictionary<string, string>? extraMetadata, IReadOnlyList<string>? classNames, bool? heatmap)
    {
        if (threshold is < 0 or > 1 || float.IsNaN(threshold))
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be a probability in [0, 1].");
        var head = model.Head;
        string? reason = null;
        var gradCam = heatmap == false ? null : Explainability.GradCamPlan.TryCreate(model, out reason);
        if (heatmap == true && gradCam is null) throw new ArgumentException($"No heatmap can be exported: {reason}", nameof(heatmap));
        var module = model.Module;
        bool wasTraining = module.training;
        module.eval();
        try
        {
            var graph = new OnnxGraphBuilder();
            var input = model.InputShape;
            graph.Input(OnnxContract.InputName, input.Channels, input.Height, input.Width);
            string x = OnnxContract.InputName;
            var shape = input;
            ChannelAffine? pending = null, poolAffine = null;
            string? features = null;
            var hidden = new List<string>();
            var layers = model.Layers;
            var blocks = module.Blocks;
            for (int i = 0; i < layers.Count; i++)
            {
                var layer = layers[i];
                var block = blocks[i];
                bool last = i == layers.Count - 1;
                switch (layer)
                {
                    case BatchNormalization bn:
                        pending = pending is null ? bn.Affine(block) : pending.Then(bn.Affine(block));
                        break;
                    case Normalization norm:
                        pending = pending is null ? norm.Affine() : pending.Then(norm.Affine());
                        break;
                    case Conv2D conv:
                    {
                        if (pending is not null && !conv.CanAbsorbInputAffine(shape))
                        {
                            x = BatchNormalization.ExportAffine(graph, x, shape, pending, layer.Name + "_in");
                            pending = null;
                        }
                        bool foldNext = conv.Activation == Activation.Linear && i + 1 < layers.Count && layers[i + 1] is BatchNormalization;
                        var after = foldNext ? ((BatchNormalization)layers[i + 1]).Affine(blocks[i + 1]) : null;
                        bool headHere = foldNext ? i + 1 == layers.Count - 1 : last;
                        x = conv.ExportOnnx(graph, x, shape, block, pending, after, applyActivation: !headHere);
                        pending = null;
                        if (foldNext) i++; // that BatchNormalization is folded into this convolution
                        break;
                    }
                    case Dense dense:
                        x = dense.ExportOnnx(graph, x, shape, block, pending, applyActivation: !last);
                        pending = null;
                        if (!last && gradCam is not null && i > gradCam.PoolIndex) hidden.Add(x);
                        break;
                    case GlobalAveragePooling2D when i == gradCam?.PoolIndex:
                        (features, poolAffine) = (x, pending);
                        x = layer.ExportOnnx(graph, x, shape, block);
                        break;
                    case MaxPooling2D or GlobalMaxPooling2D when pending is null || pending.AllScalesPositive:
                    case GlobalAveragePooling2D or Dropout:
                        x = layer.ExportOnnx(graph, x, shape, block);
                        break;
                    case Flatten:
                        x = layer.ExportOnnx(graph, x, shape, block);
                        if (pending is not null && shape.IsImage) pending = pending.Expand(shape.Height * shape.Width);
                        break;
                    case ActivationLayer when last:
                        break; // the head's sigmoid or softmax is applied below
                    default:
                        if (pending is not null)
                        {
                            x = BatchNormalization.ExportAffine(graph, x, shape, pending, layer.Name + "_in");
                            pending = null;
                        }
                        x = layer.ExportOnnx(graph, x, shape, block);
                        break;
                }
                shape = layer.OutputShape(shape);
            }
            if (pending is not null) x = BatchNormalization.ExportAffine(graph, x, shape, pending, "head_in");
            gradCam?.ExportOnnx(graph, features!, poolAffine, hidden, x);

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
}
