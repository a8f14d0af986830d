using Google.Protobuf;
using Onnx;

namespace CastingDefects.ML.Benchmarking;

/// <summary>
/// The raw compute floor of an exported network: the same ONNX graph cut after its last convolution (convolutions,
/// activations and pooling only: no head, no outputs beyond one tensor, batch fixed to the input's). Nothing a
/// classifier could leave out is left in, so the full model's latency over this one is the overhead of everything
/// else (head, output contract, runtime).
/// </summary>
public static class ComputeFloor
{
    /// <summary>The cut ONNX graph, for batch size <paramref name="batch"/>.</summary>
    public static byte[] ConvolutionsOnly(byte[] onnx, int batch = 1)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        var model = ModelProto.Parser.ParseFrom(onnx);
        var graph = model.Graph;
        var nodes = graph.Node.ToList();
        int lastConv = nodes.FindLastIndex(n => n.OpType == "Conv");
        if (lastConv < 0) throw new ArgumentException("The model has no convolution.", nameof(onnx));
        var kept = nodes.Take(lastConv + 1).ToList();
        // Keep an activation that directly follows the last convolution: it is part of the layer.
        if (lastConv + 1 < nodes.Count && nodes[lastConv + 1].OpType is "Relu" or "Clip" && nodes[lastConv + 1].Input[0] == nodes[lastConv].Output[0])
            kept.Add(nodes[lastConv + 1]);
        graph.Node.Clear();
        graph.Node.AddRange(kept);
        var used = new HashSet<string>(kept.SelectMany(n => n.Input), StringComparer.Ordinal);
        var initializers = graph.Initializer.Where(t => used.Contains(t.Name)).ToList();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(initializers);
        graph.Input[0].Type.TensorType.Shape.Dim[0].ClearDimParam();
        graph.Input[0].Type.TensorType.Shape.Dim[0].DimValue = batch;
        graph.Output.Clear();
        graph.Output.Add(new ValueInfoProto
        {
            Name = kept[^1].Output[0],
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
        });
        return model.ToByteArray();
    }
}
