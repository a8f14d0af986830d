// Deployment: serve predictions from a saved model with the core package only (no libtorch), two ways:
// a thread-safe pool of ML.NET prediction engines over the .zip, and ONNX Runtime directly over the .onnx (in float,
// then quantized to int8).
// dotnet run --project samples/Deployment -- [--model artifacts/quickstart/casting.zip] [--input FOLDER] [--onnx model.onnx]
// Without --input it classifies the built-in synthetic castings (the images Quickstart trained and tested on).
using System.Collections.Concurrent;
using System.Diagnostics;
using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;

var options = new SampleArgs(args, "--model", "--input", "--onnx");
string modelPath = options.Get("--model", "artifacts/quickstart/casting.zip");
if (!File.Exists(modelPath))
{
    Console.Error.WriteLine($"error: model '{Path.GetFullPath(modelPath)}' not found; run samples/Quickstart first or pass --model.");
    return 2;
}
string input = options.Get("--input") ?? CastingDefects.ML.Synthetic.SyntheticCastingGenerator.BuiltInDataset();
var files = Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories).Where(ImageProbe.HasImageExtension).Order(StringComparer.Ordinal).ToArray();
Console.WriteLine($"1. {files.Length} images under {input}");

using var pool = new CastingPredictionPool(modelPath);
var verdicts = new ConcurrentDictionary<string, CastingVerdict>();
var clock = Stopwatch.StartNew();
Parallel.ForEach(files, file => verdicts[file] = pool.Predict(file));
Console.WriteLine($"2. ML.NET engine pool, {Environment.ProcessorCount} threads: {files.Length / clock.Elapsed.TotalSeconds:F0} images/s; " +
    $"{verdicts.Values.Count(v => v.IsDefective)} NG, {verdicts.Values.Count(v => !v.IsDefective)} OK");

string onnxPath = options.Get("--onnx") ?? Path.ChangeExtension(modelPath, ".onnx");
if (File.Exists(onnxPath))
{
    using var onnx = CastingOnnxModel.Load(onnxPath, intraOpThreads: 1);
    clock.Restart();
    var fp32 = files.ToDictionary(f => f, f => onnx.Predict(f).PredictedLabel);
    int agree = files.Count(f => fp32[f] == verdicts[f].PredictedLabel);
    Console.WriteLine($"3. ONNX Runtime directly ({onnx.Architecture}, {onnx.Image.Width}x{onnx.Image.Height}x{onnx.Image.Channels}), one thread: " +
        $"{clock.Elapsed.TotalMilliseconds / files.Length:F2} ms/image end to end; agrees with the pool on {agree}/{files.Length}");

    // int8 with the core package: calibrate on a sample of the images, then predict as step 3 does; CastingOnnxModel
    // takes the library's int8 kernels where the CPU has AVX-VNNI (Engine says which).
    var calibration = files.Where((_, i) => i % Math.Max(1, files.Length / 64) == 0).Take(64).Select(f => CastingImagePreprocessor.Load(f, onnx.Image)).ToList();
    byte[] int8Network = CastingDefects.ML.Quantization.OnnxQuantizer.Quantize(File.ReadAllBytes(onnxPath), calibration);
    using var int8 = new CastingOnnxModel(int8Network, intraOpThreads: 1, source: "int8 network");
    clock.Restart();
    int same = files.Count(f => int8.Predict(f).PredictedLabel == fp32[f]);
    Console.WriteLine($"   int8 ({int8.Engine}, calibrated on {calibration.Count} images), one thread: {clock.Elapsed.TotalMilliseconds / files.Length:F2} ms/image " +
        $"end to end; the same verdict as float on {same}/{files.Length}");
}
bool torchLoaded = AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name!.StartsWith("TorchSharp", StringComparison.Ordinal));
Console.WriteLine($"4. TorchSharp loaded: {torchLoaded}");
return torchLoaded ? 1 : 0;
