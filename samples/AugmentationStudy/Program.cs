// Augmentation study, the paper's Table 6: the paper's CNN trained with and without augmentation, each evaluated on
// the normal held-out images and on a fixed augmented copy of them.
// dotnet run -c Release --project samples/AugmentationStudy -- [--data DIR] [--out DIR] [--epochs 12] [--image-size 128]
using CastingDefects.ML.Augmentation;
using CastingDefects.ML.Data;
using CastingDefects.ML.Evaluation;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Models;

var options = new SampleArgs(args, "--data", "--out", "--epochs", "--image-size");
string output = Path.GetFullPath(options.Get("--out", "artifacts/augmentation-study"));
int epochs = options.Int("--epochs", 12), size = options.Int("--image-size", 128);
Console.WriteLine("1. Data");
var dataset = SampleData.Load(options.Get("--data"));
var (fitSet, valSet, testSet) = SampleData.Split(dataset);
var image = CastingImageOptions.Square(size);
Console.WriteLine("   writing the augmented test set (seed 7) ...");
var augmentedTestSet = testSet.WriteAugmentedCopy(Path.Combine(output, "augmented-test"), ImageAugmentation.Paper, seed: 7);
var (fit, val, test, augmentedTest) = (ImageTensorData.Load(fitSet, image), ImageTensorData.Load(valSet, image),
    ImageTensorData.Load(testSet, image), ImageTensorData.Load(augmentedTestSet, image));

var rows = new List<string[]>();
foreach (var (name, augmentation) in new[] { ("Custom model - Normal", (ImageAugmentation?)null), ("Custom model - Augmented", ImageAugmentation.Paper) })
{
    Console.WriteLine($"2. Training {name} ({epochs} epochs)");
    using var model = CastingArchitectures.Paper(grayscale: true, imageSize: size);
    model.Fit(fit, val, epochs, 32, SampleData.PaperCallbacks(), new CastingDefects.ML.Training.Fitting.FitOptions { Augmentation = augmentation, Verbose = 1 });
    foreach (var (setName, set) in new[] { ("normal test", test), ("augmented test", augmentedTest) })
    {
        var m = BinaryMetrics.Compute(set.Labels.Select(l => l > 0.5f).ToArray(), model.PredictProbabilities(set));
        rows.Add([name, setName, $"{m.Accuracy:P2}", $"{m.Recall:P2}", $"{m.F1:P2}", $"{m.Precision:P2}"]);
    }
}
Console.WriteLine("3. Table 6 (defect class positive)");
SampleData.Table(Path.Combine(output, "table6.md"), ["model", "evaluated on", "accuracy", "recall", "F1", "precision"], rows);
