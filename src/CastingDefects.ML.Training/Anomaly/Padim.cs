using System.Diagnostics;
using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Models.Applications;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Anomaly;

/// <summary>
/// PaDiM (Defard et al. 2020, as in anomalib): anomaly detection and localisation learned from good images only.
/// Features of the pretrained ResNet18's first three stages at every position of a grid of 1/8 of the input, projected
/// to d dimensions (<see cref="PadimOptions.Embedding"/>); one multivariate Gaussian per position. An image's anomaly map is the Mahalanobis distance of
/// its features to the Gaussian of their position, resized to the image and smoothed; its score is the map's maximum.
/// The whole detector exports to one ONNX graph that predicts with the core package only.
/// </summary>
/// <remarks>
/// Chosen over PatchCore for deployment cost: PaDiM's test is a fixed d x d product per position (about 16 MFLOP at
/// 224x224, d = 100) whatever the number of training images, where PatchCore's nearest-neighbour search grows with its
/// memory bank (a 1% coreset of 2,875 images is 22,000 patches of 384 values: about 6.6 GFLOP per image).
/// </remarks>
public static class Padim
{
    /// <summary>
    /// Fits the detector on the good images (label 0) of <paramref name="train"/> (defect images there are ignored) and
    /// chooses its threshold on <paramref name="validation"/> (good images, and defects when there are some), or on a
    /// share of the good training images when no validation data is given.
    /// </summary>
    public static PadimModel Fit(PadimOptions options, ImageTensorData train, ImageTensorData? validation = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(train);
        options.Validate();
        var image = options.Image;
        if (train.Shape.Channels != image.Channels || train.Shape.Height != image.Height || train.Shape.Width != image.Width)
            throw new ArgumentException($"The training images are {train.Shape}; PadimOptions.Image is {image.Channels}x{image.Height}x{image.Width}.", nameof(train));
        var clock = Stopwatch.StartNew();
        var goodIndices = Enumerable.Range(0, train.Count).Where(i => train.Labels[i] < 0.5f).ToList();
        if (validation is null && options.ValidationFraction > 0)
        {
            // The project's one seeded split (one class here: the good images).
            var heldOut = StratifiedSampling.HeldOut(new int[goodIndices.Count], options.ValidationFraction, options.Seed);
            validation = train.Subset(goodIndices.Where((_, k) => heldOut[k]).ToList());
            goodIndices = goodIndices.Where((_, k) => !heldOut[k]).ToList();
        }
        if (goodIndices.Count < 2)
            throw new InvalidOperationException($"The anomaly detector needs at least two good training images (label false); got {goodIndices.Count}.");
        int threads = options.Threads ?? Environment.ProcessorCount;
        set_num_threads(threads);

        using var backbone = new PadimBackbone(image, options.BackbonePath ?? PretrainedResNet18.FindOnnxFile(), options.Neighbourhood);
        var features = backbone.FeatureShape;
        int positions = features.Height * features.Width;
        int d = Math.Min(options.Dimensions, features.Channels);
        float[] projection = PadimProjection.Draw(options.Embedding, features.Channels, d, options.Seed);

        // Sums of x and of x xᵀ per position, in float64, over batches of good images.
        using var sum = zeros(d, positions, dtype: ScalarType.Float64);
        using var outer = zeros(positions, d, d, dtype: ScalarType.Float64);
        using var projectionTensor = tensor(projection, [d, features.Channels]);
        var good = train.Subset(goodIndices);
        using (var extractor = Session(backbone.ToOnnx(), threads))
        {
            for (int start = 0; start < good.Count; start += options.BatchSize)
            {
                options.CancellationToken.ThrowIfCancellationRequested();
                int count = Math.Min(options.BatchSize, good.Count - start);
                float[] embedding = Run(extractor, good, start, count, image, PadimBackbone.EmbeddingName);
                using var scope = NewDisposeScope();
                var x = projectionTensor.matmul(tensor(embedding, [count, features.Channels, positions])).to_type(ScalarType.Float64); // [B, d, P]
                sum.add_(x.sum([0L]));
                var byPosition = x.permute(2, 1, 0).contiguous();                                                                               // [P, d, B]
                outer.add_(byPosition.bmm(byPosition.transpose(1, 2)));
                options.Progress?.Report((start + count, good.Count));
            }
        }
        var extraction = clock.Elapsed;
        int n = goodIndices.Count;
        float[] mean, inverse;
        using (var scope = NewDisposeScope())
        {
            var m = sum.div(tensor((double)n));                                                                     // [d, P]
            var mp = m.t().contiguous();                                                                            // [P, d]
            var covariance = outer.sub(mp.unsqueeze(2).mul(mp.unsqueeze(1)).mul(tensor((double)n))).div(tensor(n - 1.0))
                .add(eye(d, dtype: ScalarType.Float64).mul(tensor(options.Regularization)));
            mean = m.to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
            // Symmetric positive definite (the regularisation sees to it): inverted through its Cholesky factor.
            inverse = cholesky_inverse(linalg.cholesky(covariance)).to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
        }
        var statistics = new PadimStatistics(projection, features.Channels, features.Height, features.Width, mean, inverse, n);

        // Scores of the validation images through the exported detector, then the threshold.
        float threshold, scale;
        float[] validationScores = [];
        float[] validationLabels = [];
        var scoring = validation ?? good;
        using (var detector = Session(PadimOnnxExporter.Export(backbone, statistics, options.BlurSigma, 0f, 1f), threads))
        {
            validationScores = new float[scoring.Count];
            for (int start = 0; start < scoring.Count; start += options.BatchSize)
            {
                options.CancellationToken.ThrowIfCancellationRequested();
                int count = Math.Min(options.BatchSize, scoring.Count - start);
                Run(detector, scoring, start, count, image, OnnxContract.AnomalyScoreName).CopyTo(validationScores, start);
            }
            validationLabels = scoring.Labels.ToArray();
        }
        var goodScores = validationScores.Where((_, i) => validationLabels[i] < 0.5f).ToList();
        var defectScores = validationScores.Where((_, i) => validationLabels[i] >= 0.5f).ToList();
        if (goodScores.Count == 0)
            throw new InvalidOperationException("The validation data has no good images: the threshold is chosen on good images (and defects when there are some).");
        (threshold, scale) = AnomalyThreshold.Choose(goodScores, defectScores, options.TargetFalseRejectRate);
        if (options.Threshold is { } fixedThreshold) threshold = fixedThreshold;
        var onnx = PadimOnnxExporter.Export(backbone, statistics, options.BlurSigma, threshold, scale);
        return new PadimModel(onnx, statistics, threshold, scale, validationScores, validationLabels, extraction, clock.Elapsed);
    }

    private static InferenceSession Session(byte[] model, int threads)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = threads, InterOpNumThreads = 1 };
        return new InferenceSession(model, options);
    }

    /// <summary>Runs <paramref name="count"/> images from <paramref name="start"/> and returns the named output.</summary>
    private static float[] Run(InferenceSession session, ImageTensorData data, int start, int count, CastingDefects.ML.Data.CastingImageOptions image, string output)
    {
        var (x, labels) = data.Batch(Enumerable.Range(start, count).ToArray());
        float[] pixels = x.data<float>().ToArray();
        x.Dispose();
        labels.Dispose();
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [count, image.Channels, image.Height, image.Width]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [OnnxContract.InputName], [input], [output]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
