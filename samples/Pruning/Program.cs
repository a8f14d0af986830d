// Pruning: the paper's idea taken further. The paper narrowed its CNN by hand (16 → 16 → 8 → 8 → 8 channels, "channel
// pruning"); here a network twice as wide is trained and pruned step by step by structured channel pruning (ChannelPruning:
// the weakest filters removed physically, then fine-tuning), and the paper's CNN itself is pruned to half its channels.
// The table gives parameters, ONNX size, ms per image (ONNX Runtime, one thread) and held-out test accuracy.
// Then the pretrained ResNet18 transfer model (ImageNet backbone, frozen, trained head) loses half of its channels and is
// fine-tuned end to end.
// dotnet run -c Release --project samples/Pruning -- [--data DIR] [--out DIR] [--epochs 20] [--image-size 128]
//     [--fine-tune-epochs 20] [--patience 5] [--learning-rate 1e-3] [--criterion bn-scale|l1] [--ratios 0.25,0.5,0.75]
//     [--width 2] [--transfer-size 128] [--transfer-ratio 0.5]
//     [--transfer-fine-tune-epochs 8] [--no-transfer]
using System.Diagnostics;
using System.Globalization;
using CastingDefects.ML.Data;
using CastingDefects.ML.Evaluation;
using CastingDefects.ML.Benchmarking;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;
using CastingDefects.ML.Training.Pruning;

var options = new SampleArgs(args, "--data", "--out", "--epochs", "--image-size", "--fine-tune-epochs", "--patience", "--learning-rate", "--criterion", "--ratios", "--width",
    "--transfer-size", "--transfer-ratio", "--transfer-fine-tune-epochs", "--no-transfer!");
int transferSize = options.Int("--transfer-size", 128), transferFineTuneEpochs = options.Int("--transfer-fine-tune-epochs", 8);
double transferRatio = double.Parse(options.Get("--transfer-ratio", "0.5"), CultureInfo.InvariantCulture);
string output = Path.GetFullPath(options.Get("--out", "artifacts/pruning"));
int epochs = options.Int("--epochs", 20), size = options.Int("--image-size", 128), fineTuneEpochs = options.Int("--fine-tune-epochs", 20), width = options.Int("--width", 2);
int patience = options.Int("--patience", 5);
double learningRate = double.Parse(options.Get("--learning-rate", "1e-3"), CultureInfo.InvariantCulture);
var criterion = options.Get("--criterion", "bn-scale") switch
{
    "bn-scale" => PruningCriterion.BatchNormScale,
    "l1" => PruningCriterion.L1Norm,
    var other => throw new ArgumentException($"--criterion {other}: bn-scale or l1."),
};
double[] ratios = options.Get("--ratios", "0.25,0.5,0.75").Split(',').Select(r => double.Parse(r, CultureInfo.InvariantCulture)).ToArray();

Console.WriteLine("1. Data");
var (fitSet, valSet, testSet) = SampleData.Split(SampleData.Load(options.Get("--data")));
var workspace = Path.Combine(output, "workspace");
var image = CastingImageOptions.Square(size);
var (fit, val, test) = (ImageTensorData.Load(fitSet, image), ImageTensorData.Load(valSet, image), ImageTensorData.Load(testSet, image));
var rows = new List<string[]>();
var fineTune = new FitOptions { Epochs = fineTuneEpochs, LearningRate = learningRate };

Console.WriteLine($"2. The paper's CNN (hand-pruned), grayscale {size}x{size}, up to {epochs} epochs");
using var paper = CastingArchitectures.Paper(grayscale: true, size);
Train(paper);
rows.Add(Row("paper CNN (hand-pruned by its authors)", "trained", paper, test, size));
PruneAndReport(paper, "paper CNN", 0.5, criterion, fineTune, patience, fit, val, test, size);

Console.WriteLine($"3. The paper's CNN {width}x as wide, then pruned step by step");
using var wide = Wide(width);
Train(wide);
rows.Add(Row($"paper CNN x{width} wide", "trained", wide, test, size));
foreach (double ratio in ratios) PruneAndReport(wide, $"paper CNN x{width} wide", ratio, criterion, fineTune, patience, fit, val, test, size);

if (!options.Flag("--no-transfer"))
{
    Console.WriteLine($"4. The pretrained ResNet18 transfer model, {transferSize}x{transferSize} gray: frozen ImageNet backbone, trained head; then {transferRatio:P0} of its channels pruned and the whole network fine-tuned");
    var transferImage = CastingImageOptions.Square(transferSize);
    var (tfit, tval, ttest) = (ImageTensorData.Load(fitSet, transferImage), ImageTensorData.Load(valSet, transferImage), ImageTensorData.Load(testSet, transferImage));
    var transfer = CastingDefects.ML.Training.Transfer.TransferLearning.Fit(
        new CastingDefects.ML.Training.Transfer.ImageTransferOptions { Image = transferImage, WorkspacePath = workspace, Seed = 1 }, tfit, tval, classes: 2);
    using var resnet = transfer.Network;
    rows.Add(Row("ResNet18 transfer (ImageNet backbone, frozen)", $"head trained {transfer.History.Epochs.Count} epochs", resnet, ttest, transferSize));
    foreach (var backbone in resnet.Layers.OfType<Functional>()) backbone.Trainable = true; // the pruned backbone is fine-tuned too
    // The recipe measured with `casting-defects prune` on this model: L1 filter norm, Adam 3e-4, early stopping after 3 flat epochs.
    PruneAndReport(resnet, "ResNet18 transfer", transferRatio, PruningCriterion.L1Norm, new FitOptions { Epochs = transferFineTuneEpochs, LearningRate = 3e-4 }, 3,
        tfit, tval, ttest, transferSize);
}

Console.WriteLine("5. The trade-off (test images never used for training or a choice)");
SampleData.Table(Path.Combine(output, "pruning.md"), ["model", "how", "params", "ONNX KB", "ms/image (1 thread)", "test accuracy", "defect recall"], rows);

void Train(Sequential model)
{
    var clock = Stopwatch.StartNew();
    var history = model.Fit(fit, val, epochs, 32, SampleData.PaperCallbacks(), new FitOptions { Verbose = 1 });
    Console.WriteLine($"   {history.Epochs.Count} epochs in {clock.Elapsed.TotalSeconds:F0} s");
}

void PruneAndReport(Sequential model, string name, double ratio, PruningCriterion criterion, FitOptions tuning, int patience,
    ImageTensorData train, ImageTensorData validation, ImageTensorData testData, int inputSize)
{
    var clock = Stopwatch.StartNew();
    // Convolution channels only: the Dense head is a small share of the work. Fine-tuning stops after `patience` epochs
    // without a better val_loss and keeps its best.
    var result = ChannelPruning.Prune(model, train, validation, new ChannelPruningOptions
    {
        Ratio = ratio,
        Criterion = criterion,
        FineTune = tuning,
        FineTuneCallbacks = () => [new CastingDefects.ML.Training.Callbacks.EarlyStopping(patience: patience, restoreBestWeights: true)],
        ExcludedLayers = model.Layers.OfType<Dense>().Select(l => l.Name).ToList(),
    });
    using var pruned = result.Model;
    Console.WriteLine($"   {name} pruned {ratio:P0}: {string.Join(", ", result.Layers.Select(l => $"{l.Name} {l.Before}→{l.After}"))} ({clock.Elapsed.TotalSeconds:F0} s with fine-tuning)");
    rows.Add(Row($"{name}, pruned {ratio:P0} of channels", $"{(criterion == PruningCriterion.L1Norm ? "L1" : "BatchNorm-scale")} pruning + {result.FineTuning.Sum(h => h.Epochs.Count)} epochs fine-tuning", pruned, testData, inputSize));
}

Sequential Wide(int factor) => new Sequential((1, size, size), $"paper-x{factor}")
    .Conv2D(16 * factor, 3, activation: Activation.ReLU).BatchNormalization().MaxPooling2D(2)
    .Conv2D(16 * factor, 3, activation: Activation.ReLU).MaxPooling2D(2)
    .Conv2D(8 * factor, 3, activation: Activation.ReLU).MaxPooling2D(2)
    .Conv2D(8 * factor, 3, activation: Activation.ReLU).BatchNormalization()
    .Conv2D(8 * factor, 3, activation: Activation.ReLU).BatchNormalization()
    .GlobalAveragePooling2D()
    .Dense(64, Activation.ReLU)
    .Dense(1, Activation.Sigmoid);

string[] Row(string name, string how, Sequential model, ImageTensorData testData, int inputSize)
{
    var metrics = BinaryMetrics.Compute(testData.Labels.Select(l => l > 0.5f).ToArray(), model.PredictProbabilities(testData));
    byte[] onnx = model.ToOnnx();
    var latency = LatencyBenchmark.MeasureOnnx(model.Name, onnx, 1, inputSize);
    Console.WriteLine($"   {name}: {model.CountParameters().Total:N0} parameters, test accuracy {metrics.Accuracy:P2}, {latency.MsPerImage:F3} ms/image");
    return [name, how, $"{model.CountParameters().Total:N0}", $"{onnx.Length / 1024.0:F1}", $"{latency.MsPerImage:F3}", $"{metrics.Accuracy:P2}", $"{metrics.Recall:P2}"];
}
