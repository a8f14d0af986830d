using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace CastingDefects.ML.Quantization;

/// <summary>
/// The range of each activation the quantized graph will hold in uint8: the network runs on the calibration images in
/// ONNX Runtime with a ReduceMin and a ReduceMax added behind every such tensor (only those scalars leave the session,
/// as in ONNX Runtime's own MinMax calibrator). Every range includes 0, so that zero padding stays exact.
/// </summary>
internal static class ActivationCalibration
{
    /// <summary>The smallest and largest value of each of <paramref name="tensors"/> over <paramref name="images"/>.</summary>
    public static Dictionary<string, (float Min, float Max)> MinMax(ModelProto model, IReadOnlyCollection<string> tensors, IEnumerable<float[]> images, int batchSize)
    {
        var probe = model.Clone();
        probe.Graph.Output.Clear();
        var outputs = new List<(string Tensor, string Min, string Max)>();
        foreach (string tensor in tensors)
        {
            string min = tensor + "__calibration_min", max = tensor + "__calibration_max";
            foreach (var (op, output) in new[] { ("ReduceMin", min), ("ReduceMax", max) })
            {
                var node = new NodeProto { OpType = op, Name = output };
                node.Input.Add(tensor);
                node.Output.Add(output);
                node.Attribute.Add(new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
                probe.Graph.Node.Add(node);
                probe.Graph.Output.Add(new ValueInfoProto
                {
                    Name = output,
                    Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = new TensorShapeProto() } },
                });
            }
            outputs.Add((tensor, min, max));
        }

        var input = model.Graph.Input.Single(i => !model.Graph.Initializer.Any(t => t.Name == i.Name));
        long[] chw = input.Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue).ToArray();
        int length = checked((int)chw.Aggregate(1L, (a, b) => a * b));
        var ranges = tensors.ToDictionary(t => t, _ => (Min: 0f, Max: 0f), StringComparer.Ordinal);
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
        using var session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(probe), options);
        string[] names = outputs.SelectMany(o => new[] { o.Min, o.Max }).ToArray();
        var batch = new List<float[]>(batchSize);
        int seen = 0;

        void Run()
        {
            var pixels = new float[batch.Count * length];
            for (int i = 0; i < batch.Count; i++) batch[i].CopyTo(pixels, i * length);
            using var value = OrtValue.CreateTensorValueFromMemory(pixels, [batch.Count, .. chw]);
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, [input.Name], [value], names);
            for (int k = 0; k < outputs.Count; k++)
            {
                var (tensor, _, _) = outputs[k];
                float min = results[2 * k].GetTensorDataAsSpan<float>()[0], max = results[2 * k + 1].GetTensorDataAsSpan<float>()[0];
                var (lo, hi) = ranges[tensor];
                ranges[tensor] = (Math.Min(lo, min), Math.Max(hi, max));
            }
            seen += batch.Count;
            batch.Clear();
        }

        foreach (var image in images)
        {
            ArgumentNullException.ThrowIfNull(image);
            if (image.Length != length)
                throw new ArgumentException($"Calibration image {seen + batch.Count + 1} has {image.Length} values; the network takes {string.Join("x", chw)} ({length}).", nameof(images));
            batch.Add(image);
            if (batch.Count == batchSize) Run();
        }
        if (batch.Count > 0) Run();
        if (seen == 0) throw new ArgumentException("Quantization needs at least one calibration image.", nameof(images));
        return ranges;
    }
}
