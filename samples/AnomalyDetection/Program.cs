// AnomalyDetection: learn from good castings only (PaDiM on the pretrained ResNet18), then find defects it never saw.
// dotnet run --project samples/AnomalyDetection -c Release [-- --data casting_data/train] [--out artifacts/anomaly] [--image-size 224] [--dimensions 192] [--embedding semi-orthogonal|random]
using System.Diagnostics;
using CastingDefects.ML.Data;
using CastingDefects.ML.Evaluation;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Synthetic;
using CastingDefects.ML.Training.Anomaly;
using CastingDefects.ML.Training.MLNet;
using Microsoft.ML;

var options = new SampleArgs(args, "--data", "--out", "--image-size", "--dimensions", "--embedding");
string output = Path.GetFullPath(options.Get("--out", "artifacts/anomaly"));
string data = options.Get("--data") ?? SyntheticCastingGenerator.BuiltInDataset();
Directory.CreateDirectory(output);

// 1. The same three parts as `casting-defects train` (seed 42): the test images are those the classifiers are tested on.
var dataset = ImageFolderDataset.Scan(data);
var (rest, test) = dataset.StratifiedSplit(0.2, 42);
var (trainPart, validationPart) = rest.StratifiedSplit(0.2, 42);
var good = trainPart.Images.Where(i => !i.IsDefect).ToList();
// Defects of the training part are never fitted; with the validation part they choose the threshold.
var validation = validationPart.WithImages(validationPart.Images.Concat(trainPart.Images.Where(i => i.IsDefect)));
Console.WriteLine($"1. {data}: fitting on {good.Count} good images only; threshold from {validation.Images.Count} validation images; test {test.Images.Count} ({test.Images.Count(i => i.IsDefect)} defects)");

// 2. Fit: features of the good parts, one Gaussian per position of the feature grid.
var ml = new MLContext(seed: 42);
var image = CastingImageOptions.Square(options.Int("--image-size", 224), grayscale: true);
var trainer = ml.AnomalyDetection.Trainers.Padim(new PadimOptions
{
    Image = image,
    Dimensions = options.Int("--dimensions", 192),
    Embedding = options.Get("--embedding", "semi-orthogonal") switch
    {
        "random" => PadimEmbedding.RandomChannels,
        "semi-orthogonal" => PadimEmbedding.SemiOrthogonal,
        var other => throw new ArgumentException($"--embedding {other}: random or semi-orthogonal."),
    },
    ValidationSet = validation.ToDataView(ml),
});
var trainView = trainPart.WithImages(good).ToDataView(ml);
var clock = Stopwatch.StartNew();
ITransformer model = ml.Transforms.LoadCastingImages(image).Append(trainer).Fit(trainView);
var detector = trainer.Model!;
Console.WriteLine($"2. Fitted in {clock.Elapsed.TotalSeconds:F0} s (features {detector.FeatureExtraction.TotalSeconds:F0} s): {detector.Grid.Height}x{detector.Grid.Width} Gaussians of {detector.Dimensions} features, " +
    $"memory bank {detector.MemoryBankBytes / 1e6:F1} MB; threshold {detector.Threshold:G4}");

string modelPath = Path.Combine(output, "anomaly.zip");
ml.Model.Save(model, trainView.Schema, modelPath);
model.DisposeModel();

// 3. The saved model, with the core package's path, on the held-out test images.
var loaded = ml.Model.LoadCastingModel(modelPath);
var scores = BinaryScores.Read(loaded.Transform(test.ToDataView(ml)));
var metrics = BinaryMetrics.Compute(test.Images.Select(i => i.IsDefect).ToArray(), scores.Probabilities, 0.5f);
loaded.DisposeModel();
Console.WriteLine($"3. Test: AUROC {metrics.RocAuc:F4}, accuracy {metrics.Accuracy:P2}, defect recall {metrics.Recall:P2}, precision {metrics.Precision:P2} " +
    $"(confusion [[TN {metrics.TrueNegatives}, FP {metrics.FalsePositives}], [FN {metrics.FalseNegatives}, TP {metrics.TruePositives}]])");

// 4. Latency on one core, and the anomaly maps of a few defective test images.
using var onnx = CastingOnnxModel.Load(modelPath, intraOpThreads: 1);
var sample = test.Images.Take(40).Select(i => CastingImagePreprocessor.Load(i.Path, onnx.Image)).ToList();
onnx.PredictProbabilities(sample[0], 1);
var times = sample.Select(p => { var t = Stopwatch.StartNew(); onnx.PredictProbabilities(p, 1); return t.Elapsed.TotalMilliseconds; }).Order().ToList();
Console.WriteLine($"4. One thread: {times[times.Count / 2]:F1} ms per image (median of {times.Count}); model file {new FileInfo(modelPath).Length / 1e6:F1} MB");
foreach (var item in test.Images.Where(i => i.IsDefect).Take(4))
{
    var map = onnx.Heatmap(CastingImagePreprocessor.Load(item.Path, onnx.Image));
    string png = Path.Combine(output, Path.GetFileNameWithoutExtension(item.Path) + ".anomaly.png");
    File.WriteAllBytes(png, HeatmapOverlay.RenderPng(item.Path, map, map.Probability >= 0.5f ? "NG" : "OK"));
    Console.WriteLine($"   {png}: p(anomaly) {map.Probability:F3}, peak at ({map.PeakX}, {map.PeakY})");
}
File.WriteAllText(Path.Combine(output, "metrics.md"),
    $"| AUROC | accuracy | defect recall | precision | memory bank | ms/image (1 thread) |\n|---|---|---|---|---|---|\n" +
    $"| {metrics.RocAuc:F4} | {metrics.Accuracy:P2} | {metrics.Recall:P2} | {metrics.Precision:P2} | {detector.MemoryBankBytes / 1e6:F1} MB | {times[times.Count / 2]:F1} |\n");
