// Architecture comparison: the paper's Tables 1, 2 and 3 (parameters, size, accuracy / precision / recall / F1) for the
// custom model and the comparison networks, with a column that says how each was trained.
// dotnet run -c Release --project samples/ArchitectureComparison -- [--data DIR] [--out DIR] [--epochs 20] [--image-size 128]
//     [--transfer-size 128] [--full] [--scratch-epochs 3] [--scratch-size 96] [--models mobilenetv2,nasnetmobile,resnet50,resnet18]
// By default (quick, a few minutes) it compares the custom model with the pretrained ResNet18; --full (or --models) adds
// the paper's comparison networks trained from random initialisation (no ImageNet weights for them are available
// offline), which takes much longer: about 40 minutes and 7.5 GB on 2 cores.
using System.Diagnostics;
using CastingDefects.ML.Data;
using CastingDefects.ML.Evaluation;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Models;
using CastingDefects.ML.Training.Transfer;

var options = new SampleArgs(args, "--data", "--out", "--epochs", "--image-size", "--scratch-epochs", "--scratch-size", "--transfer-size", "--models", "--full!");
string output = Path.GetFullPath(options.Get("--out", "artifacts/architecture-comparison"));
int epochs = options.Int("--epochs", 20), size = options.Int("--image-size", 128);
int scratchEpochs = options.Int("--scratch-epochs", 3), scratchSize = options.Int("--scratch-size", 96);
int transferSize = options.Int("--transfer-size", 128);
var comparison = options.Get("--models", options.Flag("--full") ? "mobilenetv2,nasnetmobile,resnet50,resnet18" : "").Split(',', StringSplitOptions.RemoveEmptyEntries);
if (comparison.Length == 0) Console.WriteLine("   quick run: the custom model and the pretrained ResNet18; --full adds MobileNetV2, NASNetMobile, ResNet50 and ResNet18 from scratch");

Console.WriteLine("1. Data");
var dataset = SampleData.Load(options.Get("--data"));
var (fitSet, valSet, testSet) = SampleData.Split(dataset);
var rows = new List<Row>();

Console.WriteLine($"2. The custom model (the paper's CNN), grayscale {size}x{size}, {epochs} epochs from scratch");
{
    var image = CastingImageOptions.Square(size);
    var (fit, val, test) = (ImageTensorData.Load(fitSet, image), ImageTensorData.Load(valSet, image), ImageTensorData.Load(testSet, image));
    using var model = CastingArchitectures.Paper(grayscale: true, size);
    var clock = Stopwatch.StartNew();
    var history = model.Fit(fit, val, epochs, 32, SampleData.PaperCallbacks(), new CastingDefects.ML.Training.Fitting.FitOptions { Verbose = 1 });
    rows.Add(Row.Of("custom (paper-gray)", $"from scratch, {history.Epochs.Count} epochs, {size}px gray", model, test, clock.Elapsed));
}

Console.WriteLine($"3. ResNet18 transfer: ImageNet weights (shipped offline), frozen; head trained on cached features, {transferSize}px gray");
{
    var image = CastingImageOptions.Square(transferSize);
    var (fit, val, test) = (ImageTensorData.Load(fitSet, image), ImageTensorData.Load(valSet, image), ImageTensorData.Load(testSet, image));
    var clock = Stopwatch.StartNew();
    var result = TransferLearning.Fit(new ImageTransferOptions { Image = image, WorkspacePath = Path.Combine(output, "workspace"), Seed = 1, Verbose = 2 }, fit, val, classes: 2);
    Console.WriteLine($"   features: {result.ComputedFeatures} computed in {result.FeatureExtraction.TotalSeconds:F0} s, {result.CachedFeatures} cached; head {result.HeadTraining.TotalSeconds:F1} s");
    using var model = result.Network;
    rows.Add(Row.Of("resnet18 (pretrained)", $"ImageNet, frozen backbone, head {result.History.Epochs.Count} epochs, {transferSize}px gray", model, test, clock.Elapsed));
}

foreach (var name in comparison)
{
    Console.WriteLine($"4. {name}: random initialisation, {scratchEpochs} epochs at {scratchSize}x{scratchSize} RGB, the paper's two-unit softmax head");
    var image = CastingImageOptions.Square(scratchSize, grayscale: false);
    var (fit, val, test) = (ImageTensorData.Load(fitSet, image), ImageTensorData.Load(valSet, image), ImageTensorData.Load(testSet, image));
    using var model = CastingArchitectures.Create(name, grayscale: false, scratchSize, head: HeadKind.Softmax2);
    var clock = Stopwatch.StartNew();
    var history = model.Fit(fit, val, scratchEpochs, 32, SampleData.PaperCallbacks(), new CastingDefects.ML.Training.Fitting.FitOptions { Verbose = 1 });
    rows.Add(Row.Of(name, $"from scratch, {history.Epochs.Count} epochs, {scratchSize}px RGB", model, test, clock.Elapsed));
}

var custom = rows[0];
Console.WriteLine("5. Tables 1 and 3: size");
SampleData.Table(Path.Combine(output, "table1-table3.md"), ["model", "total params", "trainable", "non-trainable", "ONNX MB", "param ratio", "size ratio"],
    rows.Select(r => new[] { r.Name, $"{r.Counts.Total:N0}", $"{r.Counts.Trainable:N0}", $"{r.Counts.NonTrainable:N0}", $"{r.OnnxBytes / 1e6:F3}",
        $"{(double)r.Counts.Total / custom.Counts.Total:F0}x", $"{(double)r.OnnxBytes / custom.OnnxBytes:F0}x" }));
Console.WriteLine("6. Table 2: held-out test images (weighted averages, as the paper)");
SampleData.Table(Path.Combine(output, "table2.md"), ["model", "how trained", "accuracy", "precision", "recall", "F1", "defect recall", "training s"],
    rows.Select(r => new[] { r.Name, r.Training, $"{r.Report.Accuracy:P2}", $"{r.Report.WeightedAverage.Precision:P2}", $"{r.Report.WeightedAverage.Recall:P2}",
        $"{r.Report.WeightedAverage.F1:P2}", $"{r.Report.PerClass[1].Recall:P2}", $"{r.Seconds:F0}" }));

/// <summary>One model's figures.</summary>
internal sealed record Row(string Name, string Training, ParameterCounts Counts, long OnnxBytes, ClassificationReport Report, double Seconds)
{
    public static Row Of(string name, string training, Sequential model, ImageTensorData test, TimeSpan elapsed)
    {
        var metrics = BinaryMetrics.Compute(test.Labels.Select(l => l > 0.5f).ToArray(), model.PredictProbabilities(test));
        var report = ClassificationReport.FromBinary(metrics, "ok", "defect");
        Console.WriteLine($"   {name}: test accuracy {report.Accuracy:P2}, weighted F1 {report.WeightedAverage.F1:P2} ({elapsed.TotalSeconds:F0} s)");
        return new Row(name, training, model.CountParameters(), model.ToOnnx().LongLength, report, elapsed.TotalSeconds);
    }
}
