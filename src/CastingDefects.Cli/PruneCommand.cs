using System.CommandLine;
using System.Diagnostics;
using CastingDefects.ML.Data;
using CastingDefects.ML.Evaluation;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Benchmarking;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Export;
using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Models;
using CastingDefects.ML.Training.Pruning;

namespace CastingDefects.Cli;

/// <summary><c>prune</c>: structured channel pruning of a trained model, fine-tuning, and the trade-off it made.</summary>
internal static class PruneCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model file (.zip) written by train; its NAME.network.zip beside it holds the trainable network", Required = true };
        var data = new Option<string>("--data") { Description = "The folder the model was trained on: split with the same seed as train (fine-tuning on the training part; accuracy on the validation and test parts)", Required = true };
        var output = new Option<string>("--out") { Description = "Pruned model to write (.zip; its .onnx beside it)", Required = true };
        var ratio = new Option<double>("--ratio") { Description = "Share of the prunable channels to remove, in [0, 1)", DefaultValueFactory = _ => 0.5 };
        var criterion = new Option<string>("--criterion") { Description = "How channels are ranked: bn-scale (BatchNormalization |gamma|; L1 where there is none) or l1 (filter L1 norm)", DefaultValueFactory = _ => "bn-scale" };
        var scope = new Option<string>("--scope") { Description = "per-layer (every layer loses the same share) or global (the weakest channels network-wide)", DefaultValueFactory = _ => "per-layer" };
        var steps = new Option<int>("--steps") { Description = "Pruning rounds, each followed by fine-tuning", DefaultValueFactory = _ => 1 };
        var fineTune = new Option<int>("--fine-tune-epochs") { Description = "Most fine-tuning epochs after each round (0: none); --patience stops earlier", DefaultValueFactory = _ => 20 };
        var patience = new Option<int>("--patience") { Description = "Fine-tuning stops after this many epochs without a better validation loss and keeps its best epoch (0: runs every epoch)", DefaultValueFactory = _ => 5 };
        var learningRate = new Option<double>("--learning-rate") { Description = "Fine-tuning learning rate (Adam)", DefaultValueFactory = _ => 1e-3 };
        var batch = new Option<int>("--batch-size") { Description = "Fine-tuning batch size", DefaultValueFactory = _ => 32 };
        var testFraction = new Option<double>("--test-fraction") { Description = "Test share, as given to train", DefaultValueFactory = _ => 0.2 };
        var fraction = new Option<double>("--validation-fraction") { Description = "Validation share of the rest, as given to train", DefaultValueFactory = _ => 0.2 };
        var seed = new Option<int>("--seed") { Description = "Seed of the split (as given to train) and of fine-tuning", DefaultValueFactory = _ => 42 };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("prune", "Remove the weakest channels of a trained model physically (structured pruning), fine-tune it, and report parameters, speed and accuracy before and after.")
            { model, data, output, ratio, criterion, scope, steps, fineTune, patience, learningRate, batch, testFraction, fraction, seed, json };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            bool quiet = parse.GetValue(json);
            string modelPath = Path.GetFullPath(parse.GetValue(model)!), outPath = Path.GetFullPath(parse.GetValue(output)!), folder = parse.GetValue(data)!;
            if (outPath == modelPath) throw new ArgumentException("--out: give a new file; the model that is pruned stays as it is.");
            OutputPaths.NotInside(outPath, "--out", folder);
            OutputPaths.WritableFile(outPath, "--out");
            var options = new ChannelPruningOptions
            {
                Ratio = parse.GetValue(ratio), Steps = parse.GetValue(steps),
                Criterion = parse.GetValue(criterion) switch
                {
                    "l1" => PruningCriterion.L1Norm,
                    "bn-scale" => PruningCriterion.BatchNormScale,
                    var other => throw new ArgumentException($"--criterion {other}: l1 or bn-scale."),
                },
                Scope = parse.GetValue(scope) switch
                {
                    "per-layer" => PruningScope.PerLayer,
                    "global" => PruningScope.Global,
                    var other => throw new ArgumentException($"--scope {other}: per-layer or global."),
                },
                FineTune = parse.GetValue(fineTune) switch
                {
                    < 0 => throw new ArgumentException($"--fine-tune-epochs {parse.GetValue(fineTune)}: 0 or more."),
                    0 => null,
                    var n => new FitOptions { Epochs = n, LearningRate = parse.GetValue(learningRate), BatchSize = parse.GetValue(batch), Seed = parse.GetValue(seed), Verbose = quiet ? 0 : 1 },
                },
            };
            if (parse.GetValue(patience) < 0) throw new ArgumentException($"--patience {parse.GetValue(patience)}: 0 or more.");
            if (parse.GetValue(patience) > 0)
                options.FineTuneCallbacks = () => [new CastingDefects.ML.Training.Callbacks.EarlyStopping(patience: parse.GetValue(patience), restoreBestWeights: true)];
            try { options.Validate(); }
            catch (ArgumentException e) { throw new ArgumentException(e.Message.Replace("ChannelPruningOptions.Ratio", "--ratio").Replace("ChannelPruningOptions.Steps", "--steps"), e); }

            float threshold;
            using (var saved = CastingOnnxModel.Load(modelPath)) threshold = saved.Threshold;
            var (network, spec) = NetworkFile.Read(modelPath);
            using var _ = network;
            var dataset = ImageFolderDataset.Scan(folder);
            if (dataset.Classes.Count != spec.Classes)
                throw new ArgumentException($"--data: '{dataset.Root}' has {dataset.Classes.Count} classes ({string.Join(", ", dataset.Classes)}); the model was trained on {spec.Classes}.");
            var (rest, test) = parse.GetValue(testFraction) > 0 ? dataset.StratifiedSplit(parse.GetValue(testFraction), parse.GetValue(seed)) : (dataset, null);
            var (trainPart, validationPart) = rest.StratifiedSplit(parse.GetValue(fraction), parse.GetValue(seed));
            var image = CastingImageOptions.Square(spec.ImageSize, spec.Grayscale);
            bool multiclass = spec.Classes > 2;
            var train = ImageTensorData.Load(trainPart, image, multiclass: multiclass);
            var validation = ImageTensorData.Load(validationPart, image, multiclass: multiclass);
            var testData = test is null ? null : ImageTensorData.Load(test, image, multiclass: multiclass);
            if (!quiet)
                Console.WriteLine($"{spec.Architecture} {image.Width}x{image.Height}: pruning {options.Ratio:P0} of its channels ({options.Criterion}, {options.Scope}, {options.Steps} round(s)); " +
                    $"fine-tuning on {trainPart.Images.Count} images, validation {validationPart.Images.Count}, test {test?.Images.Count ?? 0}");

            double Accuracy(Sequential net, ImageTensorData part)
            {
                var p = net.PredictProbabilities(part);
                if (!multiclass) return BinaryMetrics.Compute(part.Labels.Select(l => l > 0.5f).ToArray(), p, threshold).Accuracy;
                var predicted = Enumerable.Range(0, part.Count).Select(i => Enumerable.Range(0, spec.Classes).MaxBy(k => p[i * spec.Classes + k])).ToArray();
                return ClassificationReport.Compute(part.Labels.Select(l => (int)Math.Round(l)).ToArray(), predicted, dataset.Classes).Accuracy;
            }
            byte[] Onnx(Sequential net) => multiclass ? net.ToOnnx(dataset.Classes) : net.ToOnnx(threshold);
            double MsPerImage(byte[] onnx) => LatencyBenchmark.MeasureOnnx(spec.Architecture, onnx, image.Channels, image.Width).MsPerImage;

            var counts = network.CountParameters();
            byte[] onnxBefore = Onnx(network);
            var before = (Val: Accuracy(network, validation), Test: testData is null ? (double?)null : Accuracy(network, testData), Ms: MsPerImage(onnxBefore));
            // A transfer model's backbone was frozen in training; pruned, it is fine-tuned too.
            if (spec.Transfer) foreach (var backbone in network.Layers.OfType<Functional>()) backbone.Trainable = true;
            var result = ChannelPruning.Prune(network, train, validation, options);
            using var pruned = result.Model;
            byte[] onnxAfter = Onnx(pruned);
            var after = (Val: Accuracy(pruned, validation), Test: testData is null ? (double?)null : Accuracy(pruned, testData), Ms: MsPerImage(onnxAfter));
            SavedModelNetwork.Replace(modelPath, onnxAfter, outPath);
            CastingDefects.ML.IO.AtomicFile.Write(Path.ChangeExtension(outPath, ".onnx"), s => s.Write(onnxAfter));

            var summary = new
            {
                model = outPath, onnx = Path.ChangeExtension(outPath, ".onnx"), source = modelPath, architecture = spec.Architecture,
                ratio = options.Ratio, criterion = parse.GetValue(criterion), scope = parse.GetValue(scope), steps = options.Steps,
                fine_tune_epochs = parse.GetValue(fineTune),
                total_params_before = counts.Total, total_params_after = result.ParametersAfter.Total,
                onnx_bytes_before = onnxBefore.LongLength, onnx_bytes_after = onnxAfter.LongLength,
                ms_per_image_before = before.Ms, ms_per_image_after = after.Ms,
                val_accuracy_before = before.Val, val_accuracy_after = after.Val,
                test_accuracy_before = before.Test, test_accuracy_after = after.Test,
                layers = result.Layers.Where(l => l.Before != l.After).Select(l => new { name = l.Name, before = l.Before, after = l.After }),
                seconds = clock.Elapsed.TotalSeconds,
            };
            if (quiet) CliJson.Print(summary);
            else
            {
                Console.WriteLine($"parameters {summary.total_params_before:N0} -> {summary.total_params_after:N0}; ONNX {onnxBefore.Length:N0} -> {onnxAfter.Length:N0} bytes; " +
                    $"{before.Ms:F3} -> {after.Ms:F3} ms/image (ONNX Runtime, one thread)");
                Console.WriteLine($"validation accuracy {before.Val:P2} -> {after.Val:P2}" + (before.Test is { } t0 ? $"; test accuracy {t0:P2} -> {after.Test:P2}" : ""));
                Console.WriteLine($"saved {outPath}");
            }
            return 0;
        }));
        return command;
    }
}
