using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.Export;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;

namespace CastingDefects.ML.Training.Explainability;

/// <summary>
/// What Grad-CAM needs to know of a <see cref="Sequential"/> whose head is global average pooling followed by Dense
/// layers: which layer's output are the feature maps (the last layer before the pooling that is not a per-channel
/// affine map or dropout: the last convolution, or a backbone's output), where their cells sit on the image, and the
/// head. For such a head the gradient of the class score with respect to the pooled features is a product of the Dense
/// weights and the ReLU masks, so the exported ONNX graph can compute the map itself (<see cref="ExportOnnx"/>), with the
/// same placement on the image as <see cref="GradCam"/>, which differentiates the TorchSharp network.
/// </summary>
internal sealed class GradCamPlan
{
    private GradCamPlan(Sequential model, int featureIndex, int poolIndex, IReadOnlyList<int> dense)
    {
        Model = model;
        FeatureIndex = featureIndex;
        PoolIndex = poolIndex;
        DenseIndices = dense;
        var shape = model.InputShape;
        var map = SpatialMap.Identity;
        for (int i = 0; i <= featureIndex; i++)
        {
            map = map.Then(model.Layers[i].Spatial(shape));
            shape = model.Layers[i].OutputShape(shape);
        }
        FeatureShape = shape;
        Rows = Interpolation(model.InputShape.Height, shape.Height, map.ScaleY, map.OffsetY);
        Columns = Transpose(Interpolation(model.InputShape.Width, shape.Width, map.ScaleX, map.OffsetX), model.InputShape.Width, shape.Width);
    }

    /// <summary>The network.</summary>
    public Sequential Model { get; }

    /// <summary>Index of the layer whose output are the feature maps.</summary>
    public int FeatureIndex { get; }

    /// <summary>Index of the global average pooling; -1 for a head without a closed form (<see cref="ForAutograd"/>).</summary>
    public int PoolIndex { get; }

    /// <summary>Indices of the Dense layers after the pooling, in order; the last gives the logits.</summary>
    public IReadOnlyList<int> DenseIndices { get; }

    /// <summary>Shape of the feature maps.</summary>
    public TensorShape FeatureShape { get; }

    /// <summary>Bilinear weights from feature rows to image rows, [H, h] row-major.</summary>
    public float[] Rows { get; }

    /// <summary>Bilinear weights from feature columns to image columns, transposed: [w, W] row-major.</summary>
    public float[] Columns { get; }

    /// <summary>Added to the per-image maximum before dividing by it, so that an all-zero map stays zero.</summary>
    public const float Epsilon = 1e-12f;

    /// <summary>
    /// The plan for differentiating <paramref name="model"/>: the closed-form plan when its head admits one, else the
    /// feature maps are the output of the last layer that still has a spatial shape (before a Flatten or a global max
    /// pooling), skipping trailing per-channel affine layers as above.
    /// </summary>
    public static GradCamPlan ForAutograd(Sequential model)
    {
        if (TryCreate(model, out var reason) is { } plan) return plan;
        _ = model.Head;
        var layers = model.Layers;
        var shape = model.InputShape;
        int feature = -1;
        for (int i = 0; i < layers.Count - 1; i++)
        {
            shape = layers[i].OutputShape(shape);
            if (shape.IsImage && shape.Height * shape.Width > 1) feature = i;
        }
        feature = SkipChannelMaps(layers, feature);
        if (feature < 0) throw new ArgumentException($"Model '{model.Name}' has no feature maps to explain ({reason})", nameof(model));
        return new GradCamPlan(model, feature, -1, []);
    }

    /// <summary>The plan for <paramref name="model"/>, or null with the reason Grad-CAM has no closed form for it.</summary>
    public static GradCamPlan? TryCreate(Sequential model, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(model);
        var layers = model.Layers;
        int pool = -1;
        for (int i = layers.Count - 1; i >= 0; i--)
            if (layers[i] is GlobalAveragePooling2D) { pool = i; break; }
        reason = null;
        if (pool < 0) { reason = $"Model '{model.Name}' has no GlobalAveragePooling2D before its head."; return null; }
        var dense = new List<int>();
        for (int i = pool + 1; i < layers.Count; i++)
        {
            bool last = i == layers.Count - 1;
            switch (layers[i])
            {
                case Dense d when last || d.Activation is Activation.ReLU or Activation.Linear:
                    dense.Add(i);
                    break;
                case Dropout or Flatten:
                case ActivationLayer { Activation: Activation.Sigmoid or Activation.Softmax } when last:
                    break;
                default:
                    reason = $"Model '{model.Name}': the head's {layers[i].KerasType} layer '{layers[i].Name}' has no closed-form gradient (Dense layers with ReLU or linear activations, Dropout and Flatten do).";
                    return null;
            }
        }
        if (dense.Count == 0) { reason = $"Model '{model.Name}' has no Dense layer after its global pooling."; return null; }
        int feature = SkipChannelMaps(layers, pool - 1);
        if (feature < 0) { reason = $"Model '{model.Name}' has no feature maps before its global pooling."; return null; }
        _ = model.Head; // throws for a head that is not a classifier's
        return new GradCamPlan(model, feature, pool, dense);
    }

    /// <summary>
    /// The last index at or before <paramref name="index"/> whose layer is not a per-channel affine map or dropout: the
    /// feature maps Grad-CAM weighs are the last convolution's (or backbone's), not a BatchNormalization after it.
    /// </summary>
    private static int SkipChannelMaps(IReadOnlyList<Layer> layers, int index)
    {
        while (index >= 0 && layers[index] is BatchNormalization or Normalization or Dropout) index--;
        return index;
    }

    /// <summary>
    /// The per-channel shift the layers between the feature maps and the pooling add (BatchNormalization in inference
    /// mode, Normalization); zero when there are none.
    /// </summary>
    public float[] ShiftBeforePool()
    {
        ChannelAffine? affine = null;
        var blocks = Model.Module.Blocks;
        for (int i = FeatureIndex + 1; i < PoolIndex; i++)
        {
            var next = Model.Layers[i] switch
            {
                BatchNormalization bn => bn.Affine(blocks[i]),
                Normalization norm => norm.Affine(),
                _ => null,
            };
            if (next is not null) affine = affine is null ? next : affine.Then(next);
        }
        return affine?.Shift ?? new float[FeatureShape.Channels];
    }

    /// <summary>
    /// Appends the Grad-CAM map to an exported graph as output <see cref="OnnxContract.HeatmapName"/> ([N, 1, H, W], each
    /// image's map scaled to a maximum of 1). <paramref name="features"/> is the graph's value entering the pooling and
    /// <paramref name="poolAffine"/> the per-channel map the exporter carried past it into the first Dense layer (the
    /// pooled input is poolAffine(features)); <paramref name="hidden"/> are the outputs of the Dense layers before the
    /// last (after their activation), <paramref name="logits"/> the last one's.
    /// </summary>
    /// <remarks>
    /// With v the gradient of the score with respect to the pooled input T (the chain rule through the Dense layers), the
    /// feature maps A = (T - shift) / scale of the skipped affine layers, and T = s·x + b the exporter's relation to the
    /// graph's value x, Grad-CAM's sum over channels of mean(dScore/dA)·A is, up to the factor 1/(h·w) that the scaling
    /// removes, v·(s·x + b - shift): no division by a scale is needed.
    /// </remarks>
    public void ExportOnnx(OnnxGraphBuilder graph, string features, ChannelAffine? poolAffine, IReadOnlyList<string> hidden, string logits)
    {
        var blocks = Model.Module.Blocks;
        float[] Weight(int index) => TensorData.ToArray(((Dense.DenseModule)blocks[index]).Linear.weight!);
        int Units(int index) => ((Dense)Model.Layers[index]).Units;
        int In(int index) => (int)((Dense.DenseModule)blocks[index]).Linear.weight!.shape[1];

        int last = DenseIndices[^1];
        float[] wLast = Weight(last);
        int inLast = In(last);
        string v;
        if (Model.Head == HeadKind.SoftmaxN)
        {
            // The predicted class's score: a one-hot row per image picks its row of the last weights.
            string max = graph.Node("ReduceMax", [logits], null, OnnxGraphBuilder.Ints("axes", 1), OnnxGraphBuilder.Int("keepdims", 1));
            string onehot = graph.Node("Cast", [graph.Node("Equal", [logits, max])], null, OnnxGraphBuilder.Int("to", (long)Onnx.TensorProto.Types.DataType.Float));
            v = graph.Node("MatMul", [onehot, graph.Initializer("gradcam_w_last", wLast, Units(last), inLast)]);
        }
        else
        {
            // Sigmoid1: the logit; Softmax2: the defect logit minus the good one (the exported onnx_score).
            var row = new float[inLast];
            for (int i = 0; i < inLast; i++) row[i] = Model.Head == HeadKind.Sigmoid1 ? wLast[i] : wLast[inLast + i] - wLast[i];
            v = graph.Initializer("gradcam_v", row, 1, inLast);
        }
        string? zero = null;
        for (int k = DenseIndices.Count - 2; k >= 0; k--)
        {
            int index = DenseIndices[k];
            if (((Dense)Model.Layers[index]).Activation == Activation.ReLU)
                v = graph.Node("Mul", [v, graph.Node("Cast", [graph.Node("Greater", [hidden[k], zero ??= graph.Initializer("gradcam_zero", [0f])])], null, OnnxGraphBuilder.Int("to", (long)Onnx.TensorProto.Types.DataType.Float))]);
            v = graph.Node("MatMul", [v, graph.Initializer("gradcam_w", Weight(index), Units(index), In(index))]);
        }

        int c = FeatureShape.Channels, h = FeatureShape.Height, w = FeatureShape.Width;
        var shiftBefore = ShiftBeforePool();
        var bias = new float[c];
        for (int k = 0; k < c; k++) bias[k] = (poolAffine?.Shift[k] ?? 0f) - shiftBefore[k];
        string u = poolAffine is null ? v : graph.Node("Mul", [v, graph.Initializer("gradcam_scale", poolAffine.Scale, 1, c)]);
        string flat = graph.Node("Reshape", [features, graph.InitializerInt64("gradcam_flat", 0, c, (long)h * w)]);
        string cam = graph.Node("MatMul", [graph.Node("Reshape", [u, graph.InitializerInt64("gradcam_row", -1, 1, c)]), flat]); // [N, 1, h*w]
        if (bias.Any(b => b != 0))
            cam = graph.Node("Add", [cam, graph.Node("Reshape", [graph.Node("MatMul", [v, graph.Initializer("gradcam_bias", bias, c, 1)]), graph.InitializerInt64("gradcam_one", -1, 1, 1)])]);
        cam = graph.Node("Reshape", [graph.Node("Relu", [cam]), graph.InitializerInt64("gradcam_map", -1, h, w)]);
        var input = Model.InputShape;
        string up = graph.Node("MatMul", [graph.Node("MatMul", [graph.Initializer("gradcam_rows", Rows, input.Height, h), cam]), graph.Initializer("gradcam_columns", Columns, w, input.Width)]);
        string peak = graph.Node("Max", [graph.Node("ReduceMax", [up], null, OnnxGraphBuilder.Ints("axes", 1, 2), OnnxGraphBuilder.Int("keepdims", 1)), graph.Initializer("gradcam_epsilon", [Epsilon])]);
        graph.Node("Reshape", [graph.Node("Div", [up, peak]), graph.InitializerInt64("gradcam_out", -1, 1, input.Height, input.Width)], OnnxContract.HeatmapName);
        graph.Output(OnnxContract.HeatmapName, 1, input.Height, input.Width);
    }

    /// <summary>
    /// Bilinear weights [size, cells]: image pixel i lies at feature coordinate u = (i - offset) / scale and takes its
    /// two neighbouring cells in proportion; beyond the outermost cell centres the value fades to zero one cell further
    /// out (a tent around every centre). Clamping instead would spread the border cells over the whole border that valid
    /// convolutions leave uncovered (19 pixels for the paper's CNN at 128x128) and move the map's peak off the defect.
    /// </summary>
    private static float[] Interpolation(int size, int cells, double scale, double offset)
    {
        var weights = new float[size * cells];
        for (int i = 0; i < size; i++)
        {
            double u = (i - offset) / scale;
            if (u <= 0) weights[i * cells] = (float)Math.Max(0, 1 + u);
            else if (u >= cells - 1) weights[i * cells + cells - 1] = (float)Math.Max(0, cells - u);
            else
            {
                int low = (int)Math.Floor(u);
                double f = u - low;
                weights[i * cells + low] = (float)(1 - f);
                weights[i * cells + low + 1] += (float)f;
            }
        }
        return weights;
    }

    private static float[] Transpose(float[] matrix, int rows, int columns)
    {
        var t = new float[matrix.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) t[c * rows + r] = matrix[r * columns + c];
        return t;
    }
}
