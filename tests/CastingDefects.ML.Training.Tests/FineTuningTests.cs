using CastingDefects.ML.Data;
using CastingDefects.ML.Training.Models.Applications;
using CastingDefects.ML.Training.Models.Weights;
using CastingDefects.ML.Training.Transfer;

namespace CastingDefects.ML.Training.Tests;

/// <summary>Transfer learning's second step: the pretrained ResNet18's last stage fine-tuned with the head.</summary>
public class FineTuningTests
{
    private static ImageTransferOptions Options(TempDir dir, int headEpochs, double fineTuneRate) => new()
    {
        Image = CastingImageOptions.Square(64), Epochs = headEpochs, FineTuneEpochs = 3, FineTuneLearningRate = fineTuneRate,
        BatchSize = 16, Seed = 5, Threads = 1, WorkspacePath = dir.Combine("workspace"),
    };

    private static float[] Values(Dictionary<string, NamedTensor> weights, string key) => weights[key].Values;

    [Fact]
    public void A_fine_tuned_last_stage_is_kept_when_it_lowers_the_validation_loss_and_is_what_the_onnx_model_computes()
    {
        using var dir = new TempDir();
        var train = ToyData.Blobs(48, size: 64, seed: 3);
        var validation = ToyData.Blobs(24, size: 64, seed: 4);
        // One head epoch leaves the head far from its best: fine-tuning (which trains the head too) must improve on it.
        var result = TransferLearning.Fit(Options(dir, headEpochs: 1, fineTuneRate: 1e-4), train, validation, classes: 2);

        var epochs = result.History.Epochs;
        Assert.Equal(Enumerable.Range(1, epochs.Count), epochs.Select(e => e.Epoch)); // fine-tuning epochs follow the head's
        Assert.Equal(1e-3, epochs[0].LearningRate);
        Assert.InRange(epochs.Count(e => e.LearningRate == 1e-4), 1, 3);
        Assert.True(result.FineTuned);
        Assert.True(epochs.Skip(1).Min(e => e.ValLoss) < epochs[0].ValLoss);
        Assert.True(result.FineTuning > TimeSpan.Zero);

        var pretrained = PretrainedResNet18.ReadWeights(PretrainedResNet18.FindOnnxFile());
        var tuned = StateDict.Get(result.Network);
        Assert.NotEqual(Values(pretrained, "layer4.2.conv2.weight"), Values(tuned, "layer4.2.conv2.weight")); // the last stage trained
        Assert.NotEqual(Values(pretrained, "layer4.0.downsample.0.weight"), Values(tuned, "layer4.0.downsample.0.weight"));
        Assert.Equal(Values(pretrained, "layer3.1.conv2.weight"), Values(tuned, "layer3.1.conv2.weight")); // the stages before it did not
        // Its BatchNormalization layers stayed in inference mode: statistics and affine terms as pretrained.
        foreach (var key in new[] { "layer4.0.bn1.running_mean", "layer4.2.bn2.running_var", "layer4.1.bn1.weight", "layer4.2.bn2.bias" })
            Assert.Equal(Values(pretrained, key), Values(tuned, key));

        // The probabilities the fine-tuning reported (last stage on the cached third-stage output) are the exported model's.
        var (x, _) = validation.Batch(Enumerable.Range(0, validation.Count).ToArray());
        var onnx = ComparisonArchitectureTests.RunOnnx(result.Network.ToOnnx(), x);
        Assert.Equal(validation.Count, result.ValidationProbabilities!.Length);
        for (int i = 0; i < onnx.Length; i++) Assert.Equal(result.ValidationProbabilities[i], onnx[i], 4);

        // The third stage's output is cached in the workspace beside the pooled features; a second run reads it back.
        string cache = Assert.Single(Directory.GetFiles(dir.Combine("workspace"), "features-stage3-resnet18-1x64x64-*.bin"));
        long bytes = 12 + (train.Count + validation.Count) * (32 + 4L * 256 * 4 * 4); // header, then a key and 256 x 4 x 4 floats per image
        Assert.Equal(bytes, new FileInfo(cache).Length);
        var again = TransferLearning.Fit(Options(dir, headEpochs: 1, fineTuneRate: 1e-4), train, validation, classes: 2);
        Assert.Equal((train.Count + validation.Count, 0), (again.CachedFeatures, again.ComputedFeatures));
        Assert.Equal(bytes, new FileInfo(cache).Length); // nothing recomputed, nothing appended
        for (int i = 0; i < onnx.Length; i++) Assert.Equal(result.ValidationProbabilities[i], again.ValidationProbabilities![i], 4);
    }

    [Fact]
    public void A_multiclass_head_fine_tunes_and_reports_one_probability_per_class()
    {
        using var dir = new TempDir();
        var train = ThreeClasses(45, seed: 6);
        var validation = ThreeClasses(18, seed: 7);
        var result = TransferLearning.Fit(Options(dir, headEpochs: 1, fineTuneRate: 1e-4), train, validation, classes: 3);

        Assert.True(result.FineTuned);
        var p = result.ValidationProbabilities!;
        Assert.Equal(validation.Count * 3, p.Length);
        for (int i = 0; i < validation.Count; i++) Assert.Equal(1f, p[3 * i] + p[3 * i + 1] + p[3 * i + 2], 4);
        var (x, _) = validation.Batch(Enumerable.Range(0, validation.Count).ToArray());
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(result.Network.ToOnnx(["a", "b", "c"]));
        var input = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(x.data<float>().ToArray(), [validation.Count, 1, 64, 64]);
        using var outputs = session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor(Inference.OnnxContract.InputName, input)]);
        var onnx = outputs.First(o => o.Name == Inference.OnnxContract.ScoresName).AsEnumerable<float>().ToArray();
        Assert.Equal(p.Length, onnx.Length);
        for (int i = 0; i < p.Length; i++) Assert.Equal(p[i], onnx[i], 4);
    }

    /// <summary>Gray 64 px images of three classes: plain noise, a bright blob, a dark blob.</summary>
    private static Data.ImageTensorData ThreeClasses(int count, int seed)
    {
        const int size = 64;
        var random = new Random(seed);
        var pixels = new float[count * size * size];
        var labels = new float[count];
        for (int n = 0; n < count; n++)
        {
            labels[n] = n % 3;
            var image = pixels.AsSpan(n * size * size, size * size);
            for (int i = 0; i < image.Length; i++) image[i] = (100 + random.Next(50)) / 255f; // whole 8-bit levels
            if (labels[n] == 0) continue;
            int cx = random.Next(4, size - 5), cy = random.Next(4, size - 5);
            for (int dy = -3; dy <= 3; dy++)
                for (int dx = -3; dx <= 3; dx++) image[(cy + dy) * size + cx + dx] = labels[n] == 1 ? 1f : 0f;
        }
        return Data.ImageTensorData.FromFeatures(new Layers.TensorShape(1, size, size), pixels, labels);
    }

    [Fact]
    public void A_fine_tuning_that_does_not_lower_the_validation_loss_leaves_the_head_only_model()
    {
        using var dir = new TempDir();
        var train = ToyData.Blobs(48, size: 64, seed: 3);
        var validation = ToyData.Blobs(24, size: 64, seed: 4);
        var headOptions = Options(dir, headEpochs: 30, fineTuneRate: 1e-4);
        headOptions.FineTuneEpochs = 0;
        var headOnly = TransferLearning.Fit(headOptions, train, validation, classes: 2);
        var options = Options(dir, headEpochs: 30, fineTuneRate: 10); // Adam at 10 wrecks the pretrained stage
        var result = TransferLearning.Fit(options, train, validation, classes: 2);

        Assert.False(result.FineTuned);
        Assert.True(result.History.Epochs.Where(e => e.LearningRate == 10).Min(e => e.ValLoss)
            >= result.History.Epochs.Where(e => e.LearningRate == 1e-3).Min(e => e.ValLoss));
        var pretrained = PretrainedResNet18.ReadWeights(PretrainedResNet18.FindOnnxFile());
        var network = StateDict.Get(result.Network);
        Assert.Equal(Values(pretrained, "layer4.2.conv2.weight"), Values(network, "layer4.2.conv2.weight"));
        var alone = Values(StateDict.Get(headOnly.Network), "dense.weight"); // the head as trained alone (up to float summation order)
        var kept = Values(network, "dense.weight");
        for (int i = 0; i < alone.Length; i++) Assert.Equal(alone[i], kept[i], 1e-3 * Math.Max(1, Math.Abs(alone[i])));
    }
}
