using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;

namespace CastingDefects.ML.Training.Export;

/// <summary>
/// Exports a <see cref="Functional"/> graph in inference mode. Two folds keep the ONNX graph as lean as a hand-built
/// one: a BatchNormalization that is the only consumer of a linear convolution (Conv2D, DepthwiseConv2D,
/// SeparableConv2D) goes into that convolution's weights, and a ZeroPadding2D that only feeds a "valid" convolution
/// becomes that convolution's pads. Other BatchNormalization layers become Mul and Add.
/// </summary>
internal static class FunctionalOnnxExporter
{
    public static string Export(Functional model, GraphModule module, OnnxGraphBuilder graph, string input)
    {
        var consumers = new Dictionary<KerasTensor, List<GraphNode>>();
        foreach (var node in model.Nodes)
            foreach (var i in node.Inputs)
            {
                if (!consumers.TryGetValue(i, out var list)) consumers[i] = list = new List<GraphNode>();
                list.Add(node);
            }
        GraphNode? OnlyConsumer(KerasTensor t) => consumers.TryGetValue(t, out var c) && c.Count == 1 && t != model.OutputTensor ? c[0] : null;

        var names = new Dictionary<KerasTensor, string> { [model.InputTensor] = input };
        var pendingPads = new Dictionary<KerasTensor, (string Source, ZeroPadding2D Pad)>();
        var folded = new HashSet<GraphNode>();
        foreach (var node in model.Nodes)
        {
            if (folded.Contains(node)) continue;
            var layer = node.Layer;
            var shape = node.Inputs[0].Shape;
            switch (layer)
            {
                case MergeLayer merge:
                    names[node.Output] = merge.ExportOnnx(graph, node.Inputs.Select(i => Resolve(i)).ToList());
                    break;
                case ZeroPadding2D pad when OnlyConsumer(node.Output) is { Layer: Conv2D { Padding: Padding.Valid } or SeparableConv2D { Padding: Padding.Valid } }:
                    pendingPads[node.Output] = (Resolve(node.Inputs[0]), pad);
                    break;
                case Conv2D or SeparableConv2D:
                {
                    var source = node.Inputs[0];
                    string x;
                    (int, int, int, int) extra = default;
                    if (pendingPads.TryGetValue(source, out var p))
                    {
                        x = p.Source;
                        extra = (p.Pad.Top, p.Pad.Bottom, p.Pad.Left, p.Pad.Right);
                    }
                    else x = Resolve(source);
                    var activation = ((IHasActivation)layer).Activation;
                    ChannelAffine? after = null;
                    var target = node;
                    if (activation == Activation.Linear && OnlyConsumer(node.Output) is { Layer: BatchNormalization bn } bnNode)
                    {
                        after = bn.Affine(module.ModuleOf(bn.Name));
                        folded.Add(bnNode);
                        target = bnNode;
                    }
                    var m = module.ModuleOf(layer.Name);
                    names[target.Output] = layer is Conv2D conv
                        ? conv.ExportOnnx(graph, x, shape, m, null, after, applyActivation: true, extra)
                        : ((SeparableConv2D)layer).ExportOnnx(graph, x, shape, m, after, extra);
                    break;
                }
                case BatchNormalization bn:
                    names[node.Output] = BatchNormalization.ExportAffine(graph, Resolve(node.Inputs[0]), shape, bn.Affine(module.ModuleOf(bn.Name)), bn.Name);
                    break;
                default:
                    names[node.Output] = layer.ExportOnnx(graph, Resolve(node.Inputs[0]), shape, module.ModuleOf(layer.Name));
                    break;
            }
        }
        return names[model.OutputTensor];

        string Resolve(KerasTensor t)
        {
            if (names.TryGetValue(t, out var name)) return name;
            if (pendingPads.TryGetValue(t, out var p)) // a padding whose convolution was not reached: emit it after all
                return names[t] = p.Pad.ExportOnnx(graph, p.Source, t.Node!.Inputs[0].Shape, module.ModuleOf(p.Pad.Name));
            throw new InvalidOperationException($"Tensor {t} was not exported before its use.");
        }
    }
}
