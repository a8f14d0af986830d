using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Explainability;

/// <summary>
/// Grad-CAM (Selvaraju et al. 2017) of a trained <see cref="Sequential"/> classifier, by differentiating the TorchSharp
/// network: the feature maps A of the last convolution (or of a backbone) before the global average pooling, weighted by
/// the mean gradient of the score with respect to each map, summed, ReLU, placed on the image by the layers' geometry
/// (bilinear between cell centres, so that a network of valid convolutions is not stretched over the border its maps do
/// not cover) and scaled to a maximum of 1. The score is the defect logit of a binary model and the predicted class's
/// logit of a multiclass one.
/// <para>
/// Any classifier with feature maps can be explained here (for a Flatten head, the last spatial layer's maps). For the
/// heads the library builds (global average pooling, Dense layers) the same map has a closed form, which the
/// exported ONNX model computes itself (<c>ToOnnx(heatmap: true)</c>, output <see cref="OnnxContract.HeatmapName"/>,
/// read by <see cref="CastingOnnxModel.Heatmap(float[])"/> with the core package alone); this class is its reference.
/// </para>
/// </summary>
public static class GradCam
{
    /// <summary>
    /// Whether <paramref name="model"/>'s head has the closed form the exported heatmap needs (global average pooling,
    /// Dense layers with ReLU or linear activations, dropout); else why not. <see cref="Compute(Sequential, float[], int)"/>
    /// works either way.
    /// </summary>
    public static bool IsExportable(Sequential model, out string? reason) => GradCamPlan.TryCreate(model, out reason) is not null;

    /// <summary>The heatmap of one preprocessed image ([C, H, W] at the model's input size).</summary>
    public static DefectHeatmap Compute(Sequential model, float[] pixels) => Compute(model, pixels, 1)[0];

    /// <summary>
    /// The heatmaps of <paramref name="count"/> preprocessed images laid out [N, C, H, W]. <see cref="DefectHeatmap.Probability"/>
    /// is the defect probability (binary) or the predicted class's probability (multiclass).
    /// </summary>
    public static DefectHeatmap[] Compute(Sequential model, float[] pixels, int count)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(pixels);
        var plan = GradCamPlan.ForAutograd(model);
        var input = model.InputShape;
        long length = (long)input.Channels * input.Height * input.Width;
        if (count <= 0 || pixels.LongLength != count * length)
            throw new ArgumentException($"The model takes images of {input.Channels}x{input.Height}x{input.Width} ({length} values each); got {pixels.LongLength} values for {count} image(s).", nameof(pixels));

        var module = model.Module;
        bool wasTraining = module.training;
        module.eval();
        try
        {
            using var scope = NewDisposeScope();
            var blocks = module.Blocks;
            var x = tensor(pixels).reshape(count, input.Channels, input.Height, input.Width);
            using (no_grad())
                for (int i = 0; i <= plan.FeatureIndex; i++) x = blocks[i].forward(x);
            var features = x.detach().requires_grad_(true);
            var y = features;
            for (int i = plan.FeatureIndex + 1; i < blocks.Count; i++) y = blocks[i].forward(y); // logits
            var score = model.Head switch
            {
                HeadKind.Sigmoid1 => y.reshape(-1),
                HeadKind.Softmax2 => y.select(1, 1) - y.select(1, 0),
                _ => y.gather(1, y.argmax(1, keepdim: true)).reshape(-1),
            };
            var gradient = torch.autograd.grad([score.sum()], [features])[0];
            var weights = gradient.mean([2L, 3L], keepdim: true);
            var cam = nn.functional.relu((weights * features).sum([1L])); // [N, h, w]
            var shape = plan.FeatureShape;
            var rows = tensor(plan.Rows).reshape(input.Height, shape.Height);
            var columns = tensor(plan.Columns).reshape(shape.Width, input.Width);
            var up = rows.matmul(cam).matmul(columns).detach();
            var maps = up / up.amax([1L, 2L], keepdim: true).clamp_min(GradCamPlan.Epsilon);
            var probabilities = model.Head == HeadKind.SoftmaxN
                ? nn.functional.softmax(y, 1).amax([1L])
                : model.Probabilities(y);
            float[] values = maps.data<float>().ToArray();
            float[] p = probabilities.detach().data<float>().ToArray();
            int plane = input.Height * input.Width;
            return Enumerable.Range(0, count)
                .Select(n => DefectHeatmap.FromValues(input.Width, input.Height, values.AsSpan(n * plane, plane).ToArray(), p[n]))
                .ToArray();
        }
        finally
        {
            if (wasTraining) module.train();
        }
    }
}
