// Deployment: serve predictions from a saved model with the core package only (no libtorch), two ways:
// a thread-safe pool of ML.NET prediction engines over the .zip, and ONNX Runtime directly over the .onnx.
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
    int agree = files.Count(f => onnx.Predict(f).PredictedLabel == verdicts[f].PredictedLabel);
    Console.WriteLine($"3. ONNX Runtime directly ({onnx.Architecture}, {onnx.Image.Width}x{onnx.Image.Height}x{onnx.Image.Channels}), one thread: " +
        $"{clock.Elapsed.TotalMilliseconds / files.Length:F2} ms/image end to end; agrees with the pool on {agree}/{files.Length}");
}
bool torchLoaded = AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name!.StartsWith("TorchSharp", StringComparison.Ordinal));
Console.WriteLine($"4. TorchSharp loaded: {torchLoaded}");
return torchLoaded ? 1 : 0;
