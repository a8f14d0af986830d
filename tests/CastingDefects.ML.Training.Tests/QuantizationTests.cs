using System.Text.Json;
using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Quantization;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Models;
using Microsoft.ML;
using Onnx;

namespace CastingDefects.ML.Training.Tests;

/// <summary>
/// int8 quantization (QDQ): which parts of a graph become integer, how the weights are rounded, that the quantized
/// network predicts as the float one, and the CLI and ML.NET entry points. Agreement is asserted with tolerances that
/// hold whatever integer kernels the CPU has (VNNI or not).
/// </summary>
public class QuantizationTests
{
    private static (Sequential Model, ImageTensorData Data, float[][] Images) TrainedPaper(TempDir dir, bool grayscale)
    {
        string folder = EasyImages.Write(dir.Combine("data"), 12, seed: 5);
        var image = new CastingImageOptions { Width = 64, Height = 64, Grayscale = grayscale };
        var files = Directory.GetFiles(folder, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        var images = files.Select(f => CastingImagePreprocessor.Load(f, image)).ToArray();
        var data = ImageTensorData.FromArrays(new Layers.TensorShape(image.Channels, 64, 64), images.SelectMany(p => p).ToArray(),
            files.Select(f => f.Contains("def_front", StringComparison.Ordinal)).ToArray());
        var model = CastingArchitectures.Paper(grayscale: grayscale, imageSize: 64);
        model.Fit(data, epochs: 3, batchSize: 8);
        return (model, data, images);
    }

    private static float[] Probabilities(byte[] onnx, float[][] images)
    {
        using var runtime = new CastingOnnxModel(onnx, intraOpThreads: 1);
        return runtime.PredictProbabilities(images.SelectMany(i => i).ToArray(), images.Length);
    }

    private static float[] Floats(TensorProto t)
    {
        var values = new float[t.RawData.Length / 4];
        Buffer.BlockCopy(t.RawData.ToByteArray(), 0, values, 0, values.Length * 4);
        return t.FloatData.Count > 0 ? t.FloatData.ToArray() : values;
    }

    /// <summary>
    /// The gray paper CNN: its first convolution (one input channel, depth 9) stays float, the other four get int8
    /// weights rounded per output channel to within half a step, their activations uint8 pairs; the pooled input of
    /// the first integer convolution gets its guard ReLU; the head stays float; and it predicts as the float network.
    /// </summary>
    [Fact]
    public void Gray_paper_model_gets_int8_convolutions_but_the_first_and_predicts_as_the_float_one()
    {
        using var dir = new TempDir();
        var (model, _, images) = TrainedPaper(dir, grayscale: true);
        using var _ = model;
        byte[] fp32 = model.ToOnnx(threshold: 0.5f);
        byte[] int8 = OnnxQuantizer.Quantize(fp32, images);

        var source = ModelProto.Parser.ParseFrom(fp32).Graph;
        var proto = ModelProto.Parser.ParseFrom(int8);
        var graph = proto.Graph;
        Assert.Equal(OnnxQuantizer.Int8Qdq, proto.MetadataProps.Single(p => p.Key == OnnxContract.QuantizationKey).Value);
        var convolutions = graph.Node.Where(n => n.OpType == "Conv").ToList();
        Assert.Equal(5, convolutions.Count);
        Assert.Equal("conv2d_W__int8_grid", convolutions[0].Input[1]); // depth 1 x 3 x 3 = 9 < 16: float, its weights on the int8 grid
        float[] grid = Floats(graph.Initializer.Single(t => t.Name == "conv2d_W__int8_grid")), original = Floats(source.Initializer.Single(t => t.Name == "conv2d_W"));
        for (int c = 0; c < 16; c++)
        {
            float step = Enumerable.Range(c * 9, 9).Max(i => Math.Abs(grid[i])) / 127;
            for (int i = c * 9; i < c * 9 + 9; i++)
            {
                Assert.Equal(Math.Round(grid[i] / step), grid[i] / step, 3); // a whole number of steps
                Assert.InRange(grid[i] - original[i], -step / 2 - 1e-6f, step / 2 + 1e-6f);
            }
        }
        Assert.All(convolutions.Skip(1), c => Assert.EndsWith("__dequantized", c.Input[1]));
        Assert.Equal(4, graph.Initializer.Count(t => t.DataType == (int)TensorProto.Types.DataType.Int8 && t.Dims.Count == 4));
        Assert.Equal(4, graph.Initializer.Count(t => t.DataType == (int)TensorProto.Types.DataType.Int32 && t.Name.EndsWith("__int32", StringComparison.Ordinal))); // the biases
        Assert.DoesNotContain(graph.Initializer, t => t.Name == "conv2d_1_W"); // replaced, not kept beside
        Assert.Equal(["dense_W", "dense_1_W"], graph.Node.Where(n => n.OpType == "Gemm").Select(n => n.Input[1])); // the head stays float
        Assert.DoesNotContain(graph.Node, n => n.OpType == "QuantizeLinear" && n.Input[0].StartsWith("dense", StringComparison.Ordinal));

        // Each int8 weight dequantizes to within half a step of the float weight, per output channel, and the largest
        // magnitude of each channel maps to ±127.
        foreach (var conv in convolutions.Skip(1))
        {
            var dq = graph.Node.Single(n => n.Output[0] == conv.Input[1]);
            var q = graph.Initializer.Single(t => t.Name == dq.Input[0]);
            float[] scales = Floats(graph.Initializer.Single(t => t.Name == dq.Input[1]));
            float[] w = Floats(source.Initializer.Single(t => t.Name == conv.Input[1][..^"__dequantized".Length]));
            sbyte[] values = q.RawData.ToByteArray().Select(b => unchecked((sbyte)b)).ToArray();
            int per = w.Length / scales.Length;
            for (int c = 0; c < scales.Length; c++)
            {
                Assert.Equal(127, Enumerable.Range(c * per, per).Max(i => Math.Abs((int)values[i])));
                for (int i = c * per; i < (c + 1) * per; i++) Assert.InRange(values[i] * scales[c] - w[i], -scales[c] / 2 - 1e-7f, scales[c] / 2 + 1e-7f);
            }
        }
        var guard = graph.Node.Single(n => n.OpType == "Relu" && n.Output[0].EndsWith("__guarded", StringComparison.Ordinal));
        Assert.Equal("max_pooling2d__float", guard.Input[0]);

        float[] a = Probabilities(fp32, images), b = Probabilities(int8, images);
        Assert.Contains(a.Zip(b), p => p.First != p.Second); // it did change the arithmetic
        Assert.All(a.Zip(b), p => Assert.InRange(p.Second - p.First, -0.05f, 0.05f));
        // Verdicts: compared where the float probability is clear of the threshold by the tolerance. Closer to it (here
        // as close as 0.024, with differences up to 0.014 on an AVX-512 VNNI CPU) another CPU's integer kernels may
        // round the other way.
        var clear = a.Zip(b).Where(p => Math.Abs(p.First - 0.5f) > 0.05f).ToList();
        Assert.True(clear.Count >= a.Length / 2, $"only {clear.Count} of {a.Length} images are clear of the threshold");
        Assert.Equal(clear.Select(p => p.First >= 0.5f), clear.Select(p => p.Second >= 0.5f));
    }

    /// <summary>
    /// The RGB paper CNN's first convolution (depth 27) is quantized too, on the input itself: its uint8 scale is
    /// 1/255 with zero point 0, exact for 8-bit images, whatever the calibration images' range.
    /// </summary>
    [Fact]
    public void Rgb_input_is_quantized_in_steps_of_one_255th()
    {
        using var dir = new TempDir();
        var (model, _, images) = TrainedPaper(dir, grayscale: false);
        using var _ = model;
        var dim = images.Select(i => i.Select(v => v * 0.5f).ToArray()).ToArray(); // calibration images darker than [0, 1]
        var graph = ModelProto.Parser.ParseFrom(OnnxQuantizer.Quantize(model.ToOnnx(), dim)).Graph;
        var q = graph.Node.Single(n => n.OpType == "QuantizeLinear" && n.Input[0] == OnnxContract.InputName);
        Assert.Equal(1f / 255, Floats(graph.Initializer.Single(t => t.Name == q.Input[1]))[0], 7);
        Assert.Equal([(byte)0], graph.Initializer.Single(t => t.Name == q.Input[2]).RawData.ToByteArray());
        Assert.Equal(5, graph.Initializer.Count(t => t.DataType == (int)TensorProto.Types.DataType.Int8 && t.Dims.Count == 4));
    }

    /// <summary>
    /// Percentile calibration: every activation's range is at most its MinMax range (a clipped range gives a finer
    /// step), some are clipped at 99 %, the image input keeps its exact 1/255 steps, the integer weights are the same,
    /// and the network still predicts as the float one.
    /// </summary>
    [Fact]
    public void Percentile_calibration_narrows_activation_ranges_and_keeps_the_input_exact()
    {
        using var dir = new TempDir();
        var (model, _, images) = TrainedPaper(dir, grayscale: false); // RGB: the input is quantized too
        using var _ = model;
        byte[] fp32 = model.ToOnnx(threshold: 0.5f);
        var minMax = ModelProto.Parser.ParseFrom(OnnxQuantizer.Quantize(fp32, images)).Graph;
        byte[] int8 = OnnxQuantizer.Quantize(fp32, images, new CastingQuantizationOptions { CalibrationMethod = CalibrationMethod.Percentile, Percentile = 99 });
        var percentile = ModelProto.Parser.ParseFrom(int8).Graph;

        static Dictionary<string, float> ActivationScales(GraphProto graph) => graph.Node.Where(n => n.OpType == "QuantizeLinear")
            .ToDictionary(n => n.Output[0], n => Floats(graph.Initializer.Single(t => t.Name == n.Input[1]))[0]);
        var wide = ActivationScales(minMax);
        var narrow = ActivationScales(percentile);
        Assert.Equal(wide.Keys.Order(), narrow.Keys.Order());
        Assert.All(wide, w => Assert.True(narrow[w.Key] <= w.Value, $"{w.Key}: {narrow[w.Key]} > {w.Value}"));
        Assert.Contains(wide, w => narrow[w.Key] < w.Value * 0.99f);
        Assert.Equal(1f / 255, narrow.Single(s => s.Key.StartsWith(OnnxContract.InputName + "__", StringComparison.Ordinal)).Value, 7);
        Assert.Equal(minMax.Initializer.Where(t => t.DataType == (int)TensorProto.Types.DataType.Int8).Select(t => t.RawData),
            percentile.Initializer.Where(t => t.DataType == (int)TensorProto.Types.DataType.Int8).Select(t => t.RawData));

        float[] a = Probabilities(fp32, images), b = Probabilities(int8, images);
        Assert.All(a.Zip(b), p => Assert.InRange(p.Second - p.First, -0.1f, 0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxQuantizer.Quantize(fp32, images, new CastingQuantizationOptions { CalibrationMethod = CalibrationMethod.Percentile, Percentile = 0 }));
    }

    /// <summary>The per-channel means of <paramref name="tensors"/> (N x C x H x W, or N x C) over <paramref name="images"/>, run without graph fusions.</summary>
    private static double[][] ChannelMeans(byte[] onnx, string[] tensors, float[][] images)
    {
        var model = ModelProto.Parser.ParseFrom(onnx);
        model.Graph.Output.Clear();
        foreach (var t in tensors) model.Graph.Output.Add(new ValueInfoProto { Name = t, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        using var options = new Microsoft.ML.OnnxRuntime.SessionOptions { GraphOptimizationLevel = Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_BASIC };
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(model), options);
        int side = (int)Math.Sqrt(images[0].Length);
        using var input = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(images.SelectMany(i => i).ToArray(), [images.Length, 1, side, side]);
        using var results = session.Run(new Microsoft.ML.OnnxRuntime.RunOptions(), [OnnxContract.InputName], [input], tensors);
        return results.Select(r =>
        {
            float[] values = r.GetTensorDataAsSpan<float>().ToArray();
            long[] shape = r.GetTensorTypeAndShape().Shape;
            int channels = (int)shape[1], plane = shape.Length == 4 ? (int)(shape[2] * shape[3]) : 1;
            var means = new double[channels];
            for (int i = 0; i < values.Length; i++) means[i / plane % channels] += values[i];
            return means.Select(m => m / (values.Length / channels)).ToArray();
        }).ToArray();
    }

    /// <summary>
    /// Bias correction (the default): in the corrected network every integer convolution's output and the float head's
    /// (its Dense layers, the logit last) have the float network's channel means on the calibration images (to the int32
    /// bias's rounding), where plain rounding shifted them; only the biases differ from the uncorrected network (same
    /// int8 weights, same activation scales).
    /// </summary>
    [Fact]
    public void Bias_correction_gives_each_integer_convolution_the_float_channel_means()
    {
        using var dir = new TempDir();
        var (model, _, images) = TrainedPaper(dir, grayscale: true);
        using var _ = model;
        byte[] fp32 = model.ToOnnx(threshold: 0.5f);
        byte[] plain = OnnxQuantizer.Quantize(fp32, images, new CastingQuantizationOptions { BiasCorrection = false });
        byte[] corrected = OnnxQuantizer.Quantize(fp32, images); // the default
        var plainGraph = ModelProto.Parser.ParseFrom(plain).Graph;
        var correctedGraph = ModelProto.Parser.ParseFrom(corrected).Graph;

        // The four integer convolutions' outputs (before their ReLU) and the two Dense layers' (the logit last), named as
        // in the float graph.
        string[] outputs = [.. correctedGraph.Node.Where(n => n.OpType == "Conv" && n.Input[1].EndsWith("__dequantized", StringComparison.Ordinal)).Select(n => n.Output[0]),
            .. correctedGraph.Node.Where(n => n.OpType == "Gemm").Select(n => n.Output[0])];
        Assert.Equal(6, outputs.Length);
        double[][] want = ChannelMeans(fp32, outputs, images), before = ChannelMeans(plain, outputs, images), after = ChannelMeans(corrected, outputs, images);
        double shiftBefore = 0;
        for (int k = 0; k < outputs.Length; k++)
            for (int c = 0; c < want[k].Length; c++)
            {
                Assert.True(Math.Abs(after[k][c] - want[k][c]) <= 2e-3 * (1 + Math.Abs(want[k][c])), $"{outputs[k]} channel {c}: {after[k][c]} against {want[k][c]}");
                shiftBefore = Math.Max(shiftBefore, Math.Abs(before[k][c] - want[k][c]) / (1 + Math.Abs(want[k][c])));
            }
        Assert.True(shiftBefore > 1e-2, $"plain rounding shifted no channel mean ({shiftBefore})"); // there was something to correct

        static List<(string Name, Google.Protobuf.ByteString Raw)> Tensors(GraphProto g, bool biases) => g.Initializer
            .Where(t => (t.Name.EndsWith("__int32", StringComparison.Ordinal) || t.Name.EndsWith("_B", StringComparison.Ordinal) || t.Name.EndsWith("__corrected", StringComparison.Ordinal)) == biases).Select(t => (t.Name, t.RawData)).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(Tensors(plainGraph, biases: false), Tensors(correctedGraph, biases: false));
        Assert.NotEqual(Tensors(plainGraph, biases: true), Tensors(correctedGraph, biases: true));
    }

    /// <summary><see cref="CastingQuantizationOptions.NodesToExclude"/>: the named convolution keeps its float weights, the others are quantized.</summary>
    [Fact]
    public void Excluded_nodes_stay_float()
    {
        using var model = CastingArchitectures.Paper(grayscale: true, imageSize: 64);
        model.Build(seed: 1);
        byte[] fp32 = model.ToOnnx();
        string second = ModelProto.Parser.ParseFrom(fp32).Graph.Node.Where(n => n.OpType == "Conv").ElementAt(1).Name;
        var random = new Random(2);
        float[][] images = [.. Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, 64 * 64).Select(_ => (float)random.NextDouble()).ToArray())];
        var graph = ModelProto.Parser.ParseFrom(OnnxQuantizer.Quantize(fp32, images, new CastingQuantizationOptions { NodesToExclude = [second] })).Graph;
        var convolutions = graph.Node.Where(n => n.OpType == "Conv").ToList();
        Assert.Equal(["conv2d_W__int8_grid", "conv2d_1_W"], convolutions.Take(2).Select(c => c.Input[1])); // the first (too shallow: on the int8 grid) and the excluded one
        Assert.All(convolutions.Skip(2), c => Assert.EndsWith("__dequantized", c.Input[1]));
        // The library's int8 kernels leave a network with a convolution kept in float to ONNX Runtime (its input is not
        // quantized either).
        Assert.Null(Inference.Int8.Int8Network.TryCreate(OnnxQuantizer.Quantize(fp32, images, new CastingQuantizationOptions { NodesToExclude = [second] }), out string reason));
        Assert.Contains("expected QuantizeLinear", reason);
    }

    /// <summary>A residual network: the additions of its blocks are quantized (both inputs are), and it still predicts as in float.</summary>
    [Fact]
    public void Resnet18_residual_additions_are_quantized()
    {
        using var model = CastingArchitectures.Create("resnet18", grayscale: false, imageSize: 64);
        model.Build(seed: 2);
        byte[] fp32 = model.ToOnnx(heatmap: false);
        var random = new Random(4);
        var images = Enumerable.Range(0, 6).Select(_ => Enumerable.Range(0, 3 * 64 * 64).Select(_ => (float)random.NextDouble()).ToArray()).ToArray();
        byte[] int8 = OnnxQuantizer.Quantize(fp32, images);
        var graph = ModelProto.Parser.ParseFrom(int8).Graph;
        var adds = graph.Node.Where(n => n.OpType == "Add").ToList();
        Assert.Equal(8, adds.Count); // two blocks in each of four stages
        Assert.All(adds, add => Assert.All(add.Input, input => Assert.Contains(graph.Node, n => n.OpType == "DequantizeLinear" && n.Output[0] == input)));
        Assert.Equal(20, graph.Initializer.Count(t => t.DataType == (int)TensorProto.Types.DataType.Int8 && t.Dims.Count == 4)); // every convolution
        float[] a = Probabilities(fp32, images), b = Probabilities(int8, images);
        Assert.All(a.Zip(b), p => Assert.InRange(p.Second - p.First, -0.1f, 0.1f));
    }

    [Fact]
    public void Quantizing_twice_images_of_the_wrong_size_and_no_images_are_refused()
    {
        using var model = CastingArchitectures.Paper(grayscale: true, imageSize: 64);
        model.Build(seed: 1);
        byte[] fp32 = model.ToOnnx();
        var good = new float[64 * 64];
        byte[] int8 = OnnxQuantizer.Quantize(fp32, [good]);
        var twice = Assert.Throws<InvalidOperationException>(() => OnnxQuantizer.Quantize(int8, [good]));
        Assert.Contains("already quantized", twice.Message);
        var size = Assert.Throws<ArgumentException>(() => OnnxQuantizer.Quantize(fp32, [good, new float[10]]));
        Assert.Contains("Calibration image 2 has 10 values", size.Message);
        Assert.Contains("1x64x64", size.Message);
        Assert.Throws<ArgumentException>(() => OnnxQuantizer.Quantize(fp32, []));
        Assert.Throws<InvalidDataException>(() => OnnxQuantizer.Quantize([1, 2, 3], [good]));
    }

    /// <summary>
    /// <c>quantize</c> calibrates on the training part of the folder (train's split), compares on its test part, writes
    /// a .zip and its .onnx that load like any model, and leaves the float model as it was; the ML.NET entry point
    /// writes the same network.
    /// </summary>
    [Fact]
    public void Quantize_cli_writes_an_int8_model_that_predicts_like_the_float_one()
    {
        using var dir = new TempDir();
        string data = EasyImages.Write(dir.Combine("data"), 20, seed: 7), model = dir.Combine("m.zip"), int8 = dir.Combine("m-int8.zip");
        var (code, _, err) = CliProcess.Run("train", "--data", data, "--out", model, "--image-size", "64", "--epochs", "4", "--json");
        Assert.True(code == 0, err);
        byte[] original = File.ReadAllBytes(model);

        var (qCode, qOut, qErr) = CliProcess.Run("quantize", "--model", model, "--data", data, "--out", int8, "--calibration-images", "16", "--json");
        Assert.True(qCode == 0, qErr);
        using var json = JsonDocument.Parse(qOut);
        var root = json.RootElement;
        Assert.Equal(16, root.GetProperty("calibration_images").GetInt32());
        Assert.True(root.GetProperty("bias_correction").GetBoolean()); // the default
        Assert.Equal(8, root.GetProperty("test_images").GetInt32()); // 20 % of 2 x 20
        Assert.True(root.GetProperty("same_verdict").GetDouble() >= 7 / 8.0, qOut);
        Assert.InRange(root.GetProperty("accuracy_after").GetDouble() - root.GetProperty("accuracy_before").GetDouble(), -0.125, 0.125);
        // After: on the library's int8 kernels where the CPU has AVX-VNNI, then on ONNX Runtime's too; elsewhere ONNX Runtime's only.
        bool kernels = Inference.Int8.Int8Network.IsAccelerated;
        Assert.Equal(kernels ? CastingOnnxModel.Int8KernelsEngine : CastingOnnxModel.OnnxRuntimeEngine, root.GetProperty("engine_after").GetString());
        var onRuntime = root.GetProperty("onnxruntime_int8");
        Assert.Equal(kernels ? JsonValueKind.Object : JsonValueKind.Null, onRuntime.ValueKind);
        if (kernels)
        {
            Assert.True(onRuntime.GetProperty("same_verdict_as_kernels").GetDouble() >= 7 / 8.0, qOut);
            Assert.InRange(onRuntime.GetProperty("accuracy").GetDouble() - root.GetProperty("accuracy_after").GetDouble(), -0.125, 0.125);
        }
        Assert.Equal(original, File.ReadAllBytes(model));
        byte[] network = File.ReadAllBytes(dir.Combine("m-int8.onnx"));
        Assert.Contains(ModelProto.Parser.ParseFrom(network).MetadataProps, p => p.Key == OnnxContract.QuantizationKey);

        var (evalCode, evalOut, evalErr) = CliProcess.Run("evaluate", "--model", int8, "--data", data, "--json");
        Assert.True(evalCode == 0, evalErr);
        using var metrics = JsonDocument.Parse(evalOut);
        Assert.Equal(40, metrics.RootElement.GetProperty("count").GetInt32());

        // The ML.NET entry point: the same calibration images give the same network.
        var dataset = ImageFolderDataset.Scan(data);
        var calibration = QuantizationCatalog.CalibrationSample(dataset.StratifiedSplit(0.2, 42).Train, new CastingQuantizationOptions { CalibrationImages = 16 });
        byte[] again = new MLContext(1).Model.QuantizeCastingModel(model, calibration.Images.Select(i => i.Path), dir.Combine("again.onnx"));
        Assert.Equal(network, again);
        Assert.Equal(network, File.ReadAllBytes(dir.Combine("again.onnx")));

        var (badCode, _, badErr) = CliProcess.Run("quantize", "--model", model, "--data", data, "--out", dir.Combine("x.zip"), "--calibration-images", "0");
        Assert.Equal(1, badCode);
        Assert.Contains("--calibration-images 0", badErr);
        (badCode, _, badErr) = CliProcess.Run("quantize", "--model", model, "--data", data, "--out", dir.Combine("x.zip"), "--calibration-method", "percentile", "--percentile", "0");
        Assert.Equal(1, badCode);
        Assert.Contains("--percentile 0", badErr);
        (badCode, _, badErr) = CliProcess.Run("quantize", "--model", model, "--data", data, "--out", model);
        Assert.Equal(1, badCode);
        Assert.Contains("--out", badErr);
        Assert.False(File.Exists(dir.Combine("x.zip")));
    }

    /// <summary>
    /// The library's int8 kernels run the RGB paper CNN (its input quantized in the graph) and a three-class one
    /// (softmax head) as ONNX Runtime's integer kernels do; ResNet18 (residual additions,
    /// padding, strides) is left to ONNX Runtime.
    /// </summary>
    [Theory]
    [InlineData(false, 2)]
    [InlineData(true, 3)]
    [InlineData(false, 3)]
    public void Int8_kernels_run_rgb_and_multiclass_paper_networks_as_onnx_runtime_does(bool grayscale, int classes)
    {
        using var model = CastingArchitectures.Paper(grayscale, 64, 64, classes);
        model.Build(seed: 3);
        byte[] fp32 = classes > 2 ? model.ToOnnx(["a", "b", "c"]) : model.ToOnnx();
        var random = new Random(4);
        int length = (grayscale ? 1 : 3) * 64 * 64;
        float[][] images = [.. Enumerable.Range(0, 8).Select(_ => Enumerable.Range(0, length).Select(_ => random.Next(256) / 255f).ToArray())];
        byte[] int8 = OnnxQuantizer.Quantize(fp32, images);
        var network = Inference.Int8.Int8Network.TryCreate(int8, out string reason);
        Assert.True(network is not null, reason);
        Assert.Equal(classes > 2 ? classes : 1, network.Outputs);
        using var runtime = new CastingOnnxModel(int8, intraOpThreads: 1) { UseInt8Kernels = false };
        float[] expected = runtime.PredictProbabilities(images.SelectMany(i => i).ToArray(), images.Length);
        int width = network.Outputs;
        for (int i = 0; i < images.Length; i++)
        {
            float[] p = network.Probabilities(images[i]);
            if (classes > 2) Assert.Equal(1f, p.Sum(), 5);
            for (int k = 0; k < width; k++) Assert.InRange(p[k] - expected[i * width + k], -0.05f, 0.05f);
        }

        using var resnet = CastingArchitectures.Create("resnet18", grayscale: true, imageSize: 64);
        resnet.Build(seed: 1);
        byte[] residual = OnnxQuantizer.Quantize(resnet.ToOnnx(), images.Take(2).Select(i => i.AsSpan(0, 64 * 64).ToArray()));
        Assert.Null(Inference.Int8.Int8Network.TryCreate(residual, out reason));
        Assert.False(string.IsNullOrEmpty(reason));
        using var onRuntime = new CastingOnnxModel(residual, intraOpThreads: 1);
        Assert.Equal(CastingOnnxModel.OnnxRuntimeEngine, onRuntime.Engine);
    }

    /// <summary>
    /// <c>benchmark --engines onnxruntime onnxruntime-int8 int8-kernels</c> gives int8 rows beside the float ones, each
    /// with its speed-up over float; the kernels' row only where the CPU has AVX-VNNI (elsewhere it is skipped).
    /// </summary>
    [Fact]
    public void Benchmark_reports_int8_rows_beside_float_ones()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = CliProcess.Run("benchmark", "--quick", "--models", "paper-gray", "--engines", "onnxruntime", "onnxruntime-int8", "int8-kernels",
            "--batches", "1", "--image-size", "64", "--json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var rows = json.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(Inference.Int8.Int8Network.IsAccelerated ? ["onnxruntime", "onnxruntime-int8", "int8-kernels"] : ["onnxruntime", "onnxruntime-int8"],
            rows.Select(r => r.GetProperty("engine").GetString()));
        double fp32 = rows[0].GetProperty("ms_per_image").GetDouble();
        foreach (var int8 in rows.Skip(1))
            Assert.Equal(fp32 / int8.GetProperty("ms_per_image").GetDouble(), int8.GetProperty("speedup_vs_fp32").GetDouble(), 9);
        Assert.Equal(JsonValueKind.Null, rows[0].GetProperty("speedup_vs_fp32").ValueKind);
    }
}
