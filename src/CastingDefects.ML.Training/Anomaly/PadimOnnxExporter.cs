using Google.Protobuf;
using System.Globalization;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.Export;
using Onnx;

namespace CastingDefects.ML.Training.Anomaly;

/// <summary>
/// Writes the whole PaDiM detector as one ONNX graph following <see cref="OnnxContract"/>: the feature extractor, the
/// projection of the channels (MatMul), the Mahalanobis distance at every grid position ((x - μ)ᵀ Σ⁻¹ (x - μ), as batched MatMuls),
/// the map resized to the input (bilinear) and smoothed (separable Gaussian, reflected borders), the image score (the
/// map's maximum), and the classifier outputs: logit (score - threshold) / scale, its sigmoid, and the decision.
/// Extra outputs: <see cref="OnnxContract.AnomalyScoreName"/> and <see cref="OnnxContract.AnomalyMapName"/>.
/// </summary>
internal static class PadimOnnxExporter
{
    public static byte[] Export(PadimBackbone backbone, PadimStatistics statistics, double blurSigma, float threshold, float scale)
    {
        var graph = new OnnxGraphBuilder();
        string embedding = backbone.Export(graph);
        var image = backbone.Image;
        int d = statistics.Dimensions, gridH = statistics.GridHeight, gridW = statistics.GridWidth, positions = gridH * gridW;

        string flat = graph.Node("Reshape", [embedding, graph.InitializerInt64("padim_flat", 0, statistics.EmbeddingChannels, positions)]); // [N, C, P]
        string projected = graph.Node("MatMul", [graph.Initializer("padim_projection", statistics.Projection, d, statistics.EmbeddingChannels), flat]); // [N, d, P]
        string diff = graph.Node("Sub", [projected, graph.Initializer("padim_mean", statistics.Mean, d, positions)]);          // [N, d, P]
        string byPosition = graph.Node("Transpose", [diff], null, OnnxGraphBuilder.Ints("perm", 2, 0, 1));                // [P, N, d]
        string weighted = graph.Node("MatMul", [byPosition, graph.Initializer("padim_inverse_covariance", statistics.InverseCovariance, positions, d, d)]);
        string squared = graph.Node("ReduceSum", [graph.Node("Mul", [weighted, byPosition]), graph.InitializerInt64("padim_axis_d", 2)], null,
            OnnxGraphBuilder.Int("keepdims", 0));                                                                          // [P, N]
        string distance = graph.Node("Sqrt", [graph.Node("Relu", [squared])]);
        string grid = graph.Node("Reshape", [graph.Node("Transpose", [distance], null, OnnxGraphBuilder.Ints("perm", 1, 0)),
            graph.InitializerInt64("padim_grid", -1, 1, gridH, gridW)]);                                                   // [N, 1, h, w]
        string map = graph.Node("Resize", [grid, "", graph.Initializer("padim_upscale", [1f, 1f, (float)image.Height / gridH, (float)image.Width / gridW], 4)], null,
            OnnxGraphBuilder.String("mode", "linear"), OnnxGraphBuilder.String("coordinate_transformation_mode", "half_pixel"));
        if (blurSigma > 0)
        {
            int r = Math.Min((int)(4 * blurSigma + 0.5), Math.Min(image.Height, image.Width) - 1); // reflection needs r < size
            var kernel = GaussianKernel(blurSigma, r);
            string padded = graph.Node("Pad", [map, graph.InitializerInt64("padim_blur_pads", 0, 0, r, r, 0, 0, r, r)], null, OnnxGraphBuilder.String("mode", "reflect"));
            string rows = graph.Node("Conv", [padded, graph.Initializer("padim_blur_rows", kernel, 1, 1, kernel.Length, 1)]);
            map = graph.Node("Conv", [rows, graph.Initializer("padim_blur_columns", kernel, 1, 1, 1, kernel.Length)]);
        }
        graph.Node("Identity", [map], OnnxContract.AnomalyMapName);
        string score = graph.Node("ReduceMax", [OnnxContract.AnomalyMapName], OnnxContract.AnomalyScoreName, OnnxGraphBuilder.Ints("axes", 1, 2, 3), OnnxGraphBuilder.Int("keepdims", 0));
        graph.Node("Div", [graph.Node("Sub", [score, graph.Initializer("anomaly_threshold", [threshold])]), graph.Initializer("anomaly_scale", [scale])], OnnxContract.LogitName);
        string probability = graph.Node("Sigmoid", [OnnxContract.LogitName], OnnxContract.ProbabilityName);
        graph.Node("Cast", [graph.Node("GreaterOrEqual", [probability, graph.Initializer("threshold", [0.5f])])], OnnxContract.DecisionName,
            OnnxGraphBuilder.Int("to", (long)TensorProto.Types.DataType.Float));
        graph.Output(OnnxContract.LogitName);
        graph.Output(OnnxContract.ProbabilityName);
        graph.Output(OnnxContract.DecisionName);
        graph.Output(OnnxContract.AnomalyScoreName);
        graph.Output(OnnxContract.AnomalyMapName, 1, image.Height, image.Width);

        var ci = CultureInfo.InvariantCulture;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [OnnxContract.ArchitectureKey] = "padim-resnet18",
            [OnnxContract.TaskKey] = OnnxContract.AnomalyTask,
            [OnnxContract.ChannelsKey] = image.Channels.ToString(ci),
            [OnnxContract.HeightKey] = image.Height.ToString(ci),
            [OnnxContract.WidthKey] = image.Width.ToString(ci),
            [OnnxContract.ThresholdKey] = "0.5",
            [OnnxContract.AnomalyThresholdKey] = threshold.ToString("R", ci),
            [OnnxContract.AnomalyScaleKey] = scale.ToString("R", ci),
            ["castingdefects.anomaly.dimensions"] = d.ToString(ci),
            ["castingdefects.anomaly.fitted_images"] = statistics.Images.ToString(ci),
        };
        return graph.Build(metadata, "PaDiM anomaly detector (pretrained ResNet18 features, per-position Gaussians) exported by CastingDefects.ML").ToByteArray();
    }

    /// <summary>A normalised Gaussian of radius <paramref name="r"/>.</summary>
    internal static float[] GaussianKernel(double sigma, int r)
    {
        var k = Enumerable.Range(-r, 2 * r + 1).Select(x => Math.Exp(-x * x / (2 * sigma * sigma))).ToArray();
        double sum = k.Sum();
        return k.Select(v => (float)(v / sum)).ToArray();
    }
}
