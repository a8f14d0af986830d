// Grayscale vs RGB: the paper's claim that one gray plane cuts parameters without hurting accuracy, with latency.
// dotnet run -c Release --project samples/GrayscaleVsRgb -- [--data DIR] [--out DIR] [--epochs 12] [--image-size 128]
using System.Diagnostics;
using CastingDefects.ML.Data;
using CastingDefects.ML.Evaluation;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Models;

var options = new SampleArgs(args, "--data", "--out", "--epochs", "--image-size");
string output = Path.GetFullPath(options.Get("--out", "artifacts/grayscale-vs-rgb"));
int epochs = options.Int("--epochs", 12), size = options.Int("--image-size", 128);
Console.WriteLine("1. Data");
var dataset = SampleData.Load(options.Get("--data"));
var (fitSet, valSet, testSet) = SampleData.Split(dataset);

var rows = new List<string[]>();
foreach (bool gray in new[] { true, false })
{
    var image = CastingImageOptions.Square(size, gray);
    var (fit, val, test) = (ImageTensorData.Load(fitSet, image), ImageTensorData.Load(valSet, image), ImageTensorData.Load(testSet, image));
    Console.WriteLine($"2. Training the paper's CNN, {(gray ? "grayscale" : "RGB")} ({epochs} epochs)");
    using var model = CastingArchitectures.Paper(gray, size);
    var clock = Stopwatch.StartNew();
    model.Fit(fit, val, epochs, 32, SampleData.PaperCallbacks(), new CastingDefects.ML.Training.Fitting.FitOptions { Verbose = 1 });
    double trainSeconds = clock.Elapsed.TotalSeconds;
    var m = BinaryMetrics.Compute(test.Labels.Select(l => l > 0.5f).ToArray(), model.PredictProbabilities(test));

    // Latency of the exported network, ONNX Runtime, one thread, batch 1 (median of 200 runs after warm-up).
    using var onnx = new CastingOnnxModel(model.ToOnnx(), intraOpThreads: 1);
    var one = new float[image.FeatureLength];
    for (int i = 0; i < 20; i++) onnx.PredictProbabilities(one, 1);
    var times = Enumerable.Range(0, 200).Select(_ => { var t = Stopwatch.StartNew(); onnx.PredictProbabilities(one, 1); return t.Elapsed.TotalMilliseconds; }).Order().ToArray();
    var counts = model.CountParameters();
    rows.Add([gray ? "grayscale" : "RGB", $"{counts.Total:N0}", $"{counts.Trainable:N0}", $"{m.Accuracy:P2}", $"{m.F1:P2}", $"{times[100]:F3}", $"{trainSeconds:F0}"]);
}
Console.WriteLine($"3. Grayscale vs RGB at {size}x{size}");
SampleData.Table(Path.Combine(output, "grayscale-vs-rgb.md"), ["input", "params", "trainable", "test accuracy", "test F1", "ms/image (ORT, 1 thread)", "training s"], rows);
