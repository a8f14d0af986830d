using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace CastingDefects.ML.Quantization;

/// <summary>
/// The range of each activation the quantized graph will hold in uint8, found by running the network on the
/// calibration images in ONNX Runtime. MinMax adds a ReduceMin and a ReduceMax behind every such tensor (only those
/// scalars leave the session, as in ONNX Runtime's own MinMax calibrator); Percentile then runs the images a second
/// time with the tensors themselves as outputs and counts them into <see cref="ActivationHistogram"/>s.
/// </summary>
internal static class ActivationCalibration
{
    /// <summary>The range of each of <paramref name="tensors"/> over <paramref name="images"/>, by <paramref name="options"/>' method.</summary>
    public static Dictionary<string, (float Min, float Max)> Ranges(ModelProto model, IReadOnlyCollection<string> tensors, IEnumerable<float[]> images,
        CastingQuantizationOptions options)
    {
        switch (options.CalibrationMethod)
        {
            case CalibrationMethod.MinMax:
                return MinMax(model, tensors, images, options.CalibrationBatchSize);
            case CalibrationMethod.Percentile:
                if (options.Percentile is not (> 0 and <= 100))
                    throw new ArgumentOutOfRangeException(nameof(options), options.Percentile, "Percentile must be a percentage in (0, 100].");
                var calibration = images.ToList(); // two passes over the same images
                var histograms = MinMax(model, tensors, calibration, options.CalibrationBatchSize)
                    .ToDictionary(r => r.Key, r => new ActivationHistogram(r.Value.Min, r.Value.Max), StringComparer.Ordinal);
                string[] names = [.. tensors];
                Run(Probe(model, names.Select(t => (Node: (NodeProto?)null, Output: t))), model, calibration, options.CalibrationBatchSize, names, results =>
                {
                    for (int k = 0; k < names.Length; k++) histograms[names[k]].Add(results[k].GetTensorDataAsSpan<float>());
                });
                return histograms.ToDictionary(h => h.Key, h => h.Value.Percentile(options.Percentile) is var (min, max) ? (Math.Min(min, 0), Math.Max(max, 0)) : default,
                    StringComparer.Ordinal);
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.CalibrationMethod, "Unknown calibration method.");
        }
    }

    /// <summary>The smallest and largest value of each of <paramref name="tensors"/> over <paramref name="images"/>.</summary>
    public static Dictionary<string, (float Min, float Max)> MinMax(ModelProto model, IReadOnlyCollection<string> tensors, IEnumerable<float[]> images, int batchSize)
    {
        var reductions = new List<(NodeProto? Node, string Output)>();
        foreach (string tensor in tensors)
        {
            foreach (var (op, output) in new[] { ("ReduceMin", tensor + "__calibration_min"), ("ReduceMax", tensor + "__calibration_max") })
            {
                var node = new NodeProto { OpType = op, Name = output };
                node.Input.Add(tensor);
                node.Output.Add(output);
                node.Attribute.Add(new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
                reductions.Add((node, output));
            }
        }

        string[] names = [.. tensors];
        var ranges = tensors.ToDictionary(t => t, _ => (Min: 0f, Max: 0f), StringComparer.Ordinal);
        Run(Probe(model, reductions), model, images, batchSize, reductions.Select(r => r.Output).ToArray(), results =>
        {
            for (int k = 0; k < names.Length; k++)
            {
                float min = results[2 * k].GetTensorDataAsSpan<float>()[0], max = results[2 * k + 1].GetTensorDataAsSpan<float>()[0];
                var (lo, hi) = ranges[names[k]];
                ranges[names[k]] = (Math.Min(lo, min), Math.Max(hi, max));
            }
        });
        return ranges;
    }

    /// <summary>
    /// The mean of each channel of each of <paramref name="tensors"/> over <paramref name="images"/>: N x C x H x W
    /// tensors get a GlobalAveragePool behind them, N x C ones (<paramref name="unpooled"/>) are read as they are; the
    /// images are averaged on the host.
    /// </summary>
    public static Dictionary<string, double[]> ChannelMeans(ModelProto model, IReadOnlyCollection<string> tensors, IReadOnlyCollection<float[]> images, int batchSize,
        IReadOnlySet<string> unpooled)
    {
        var pools = tensors.Select(t =>
        {
            if (unpooled.Contains(t)) return ((NodeProto?)null, t);
            var node = new NodeProto { OpType = "GlobalAveragePool", Name = t + "__channel_mean" };
            node.Input.Add(t);
            node.Output.Add(t + "__channel_mean");
            return ((NodeProto?)node, node.Output[0]);
        }).ToList();
        string[] names = [.. tensors];
        var sums = new Dictionary<string, double[]>(StringComparer.Ordinal);
        Run(Probe(model, pools), model, images, batchSize, pools.Select(p => p.Item2).ToArray(), results =>
        {
            for (int k = 0; k < names.Length; k++)
            {
                var values = results[k].GetTensorDataAsSpan<float>();
                int batch = (int)results[k].GetTensorTypeAndShape().Shape[0], channels = values.Length / batch;
                var sum = sums.TryGetValue(names[k], out var s) ? s : sums[names[k]] = new double[channels];
                for (int i = 0; i < values.Length; i++) sum[i % channels] += values[i];
            }
        });
        foreach (var sum in sums.Values)
            for (int c = 0; c < sum.Length; c++) sum[c] /= images.Count;
        return sums;
    }

    /// <summary>A copy of the network whose outputs are <paramref name="outputs"/>, with the nodes that compute them added.</summary>
    private static ModelProto Probe(ModelProto model, IEnumerable<(NodeProto? Node, string Output)> outputs)
    {
        var probe = model.Clone();
        probe.Graph.Output.Clear();
        foreach (var (node, output) in outputs)
        {
            if (node is not null) probe.Graph.Node.Add(node);
            probe.Graph.Output.Add(new ValueInfoProto
            {
                Name = output,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }
        return probe;
    }

    /// <summary>Runs <paramref name="probe"/> on <paramref name="images"/> in batches and hands each batch's <paramref name="outputs"/> to <paramref name="read"/>.</summary>
    private static void Run(ModelProto probe, ModelProto model, IEnumerable<float[]> images, int batchSize, string[] outputs, Action<IReadOnlyList<OrtValue>> read)
    {
        var input = model.Graph.Input.Single(i => !model.Graph.Initializer.Any(t => t.Name == i.Name));
        long[] chw = input.Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue).ToArray();
        int length = checked((int)chw.Aggregate(1L, (a, b) => a * b));
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
        using var session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(probe), options);
        var batch = new List<float[]>(batchSize);
        int seen = 0;

        void RunBatch()
        {
            var pixels = new float[batch.Count * length];
            for (int i = 0; i < batch.Count; i++) batch[i].CopyTo(pixels, i * length);
            using var value = OrtValue.CreateTensorValueFromMemory(pixels, [batch.Count, .. chw]);
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, [input.Name], [value], outputs);
            read(results);
            seen += batch.Count;
            batch.Clear();
        }

        foreach (var image in images)
        {
            ArgumentNullException.ThrowIfNull(image);
            if (image.Length != length)
                throw new ArgumentException($"Calibration image {seen + batch.Count + 1} has {image.Length} values; the network takes {string.Join("x", chw)} ({length}).", nameof(images));
            batch.Add(image);
            if (batch.Count == batchSize) RunBatch();
        }
        if (batch.Count > 0) RunBatch();
        if (seen == 0) throw new ArgumentException("Quantization needs at least one calibration image.", nameof(images));
    }
}
