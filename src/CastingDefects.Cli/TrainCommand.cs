using System.CommandLine;
using System.Diagnostics;
using CastingDefects.ML.Data;
using CastingDefects.ML.Evaluation;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Synthetic;
using CastingDefects.ML.Augmentation;
using CastingDefects.ML.Training.Augmentation;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.MLNet;
using CastingDefects.ML.Training.Models;
using CastingDefects.ML.Training.Models.Weights;
using Microsoft.ML;
using CastingDefects.ML.Training.Search;
using CastingDefects.ML.Training.Transfer;
using CastingDefects.ML.Training.Workflow;

namespace CastingDefects.Cli;

internal static class TrainCommand
{
    /// <summary>Default input size. Measured here (2 cores, batch 32): ~300 training images/s at 128, 140 at 150, 30 at 300.</summary>
    public const int DefaultImageSize = 128;

    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Folder with one subfolder per class (def_front/, ok_front/). Default: a built-in synthetic dataset" };
        var output = new Option<string>("--out") { Description = "Model file to write (.zip); the ONNX network is written beside it", DefaultValueFactory = _ => "casting.zip" };
        var arch = new Option<string>("--arch") { Description = $"Architecture: {string.Join(", ", CastingArchitectures.Names)}", DefaultValueFactory = _ => "paper" };
        var gray = new Option<bool>("--grayscale") { Description = "One gray plane (true, default) or RGB (--grayscale false)", DefaultValueFactory = _ => true };
        var size = new Option<int?>("--image-size") { Description = $"Input width and height (default {DefaultImageSize}; 224 with --transfer)" };
        var head = new Option<string>("--head") { Description = "Binary head: sigmoid1 (one sigmoid unit) or softmax2 (the paper's two-unit softmax for the comparison networks)", DefaultValueFactory = _ => "sigmoid1" };
        var transfer = new Option<bool>("--transfer") { Description = "Transfer learning: the pretrained ImageNet ResNet18 (shipped offline) frozen, bottleneck features cached, only the head trains" };
        var workspace = new Option<string?>("--workspace") { Description = "Feature cache folder for --transfer (default: <out>.workspace); reused between runs" };
        var epochs = new Option<int?>("--epochs") { Description = "Maximum epochs (default 20; 50 head epochs with --transfer). The best epoch by val_loss is kept; early stop after 10 without improvement" };
        var batch = new Option<int>("--batch-size") { Description = "Batch size", DefaultValueFactory = _ => 32 };
        var augment = new Option<bool>("--augment") { Description = "Random flips, rotation ±4°, zoom 0.2, shear (the paper's augmentation)" };
        var testFraction = new Option<double>("--test-fraction") { Description = "Stratified share held out as the test set, split off first and never used for training or any choice; its metrics are the ones to quote (0: no test set)", DefaultValueFactory = _ => 0.2 };
        var fraction = new Option<double>("--validation-fraction") { Description = "Stratified share of the rest held out for validation: it picks the best epoch and the threshold", DefaultValueFactory = _ => 0.2 };
        var seed = new Option<int>("--seed") { Description = "Seed", DefaultValueFactory = _ => 42 };
        var threads = new Option<int?>("--threads") { Description = "TorchSharp threads (default: all cores)" };
        var checkpoints = new Option<string?>("--checkpoint-dir") { Description = "Checkpoint folder (default: <out>.checkpoints)" };
        var resume = new Option<bool>("--resume") { Description = "Continue from the last checkpoint in the checkpoint folder" };
        var targetRecall = new Option<double?>("--target-recall") { Description = "Store the highest threshold whose defect recall on the validation images reaches this (e.g. 0.995) instead of 0.5" };
        var zca = new Option<int?>("--zca") { Description = "Fit a ZCA whitening on k x k patches of the training images and put it in front of the network (k odd, e.g. 5)" };
        var weights = new Option<string?>("--weights") { Description = "Start from these weights: a .safetensors file or a PyTorch state dict saved with torch.save (.pt/.pth); PyTorch layouts, keys named after the layers (a torchvision resnet18 state dict loads into --arch resnet18)" };
        var anomaly = new Option<bool>("--anomaly") { Description = "Anomaly detection from good images only (PaDiM on the pretrained ResNet18): --data is a folder of good images, or class folders of which the one not starting with \"def\" is fitted and the defect folders choose the threshold and test it (default --image-size 224)" };
        var reportOption = new Option<string?>("--report") { Description = "Write an HTML report (training curves, held-out metrics, plots, misclassified images) into this folder" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var fineTune = new Option<int?>("--fine-tune") { Description = "With --transfer: after the head, fine-tune the backbone's last stage with it for up to this many epochs (Adam 1e-4, early stopping on val_loss); kept only when it lowers the validation loss" };
        var classWeights = new Option<string?>("--class-weights") { Description = "Two classes: weights of the good and the defect class in the loss (Keras's class_weight), as GOOD,DEFECT (e.g. 1,3) or 'balanced' (inversely proportional to the class counts of the training images)" };
        var budget = new Option<string?>("--time-budget") { Description = "Search for the best model within this time (e.g. 10m, 90s, 1h): the pretrained ResNet18 (frozen, and with its last stage fine-tuned) and the paper CNN at several input sizes, with and without augmentation, class-weighted when the classes are imbalanced, ranked on the validation images; writes MODEL.leaderboard.json. Ctrl-C keeps the best so far" };
        var command = new Command("train", "Train a classifier on a folder of class subfolders and save it as an ML.NET model (.zip) plus ONNX.")
            { data, output, arch, head, transfer, anomaly, workspace, gray, size, epochs, batch, augment, testFraction, fraction, seed, threads, checkpoints, resume, zca, targetRecall, weights, reportOption, json, budget, fineTune, classWeights };
        command.SetAction((parse, token) => Task.FromResult(CliErrors.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            bool quiet = parse.GetValue(json);
            string? folder = parse.GetValue(data);
            if (folder is null)
            {
                folder = SyntheticCastingGenerator.BuiltInDataset(parse.GetValue(seed));
                if (!quiet) Console.WriteLine($"no --data given: using the built-in synthetic dataset in {folder}");
            }
            string outPath = Path.GetFullPath(parse.GetValue(output)!);
            string checkpointDir = parse.GetValue(checkpoints) ?? outPath + ".checkpoints";
            foreach (var (path, option) in new[] { (outPath, "--out"), (checkpointDir, "--checkpoint-dir"), (parse.GetValue(reportOption), "--report") })
                OutputPaths.NotInside(path, option, folder);
            OutputPaths.WritableFile(outPath, "--out");
            OutputPaths.WritableFolder(checkpointDir, "--checkpoint-dir");
            OutputPaths.WritableFolder(parse.GetValue(reportOption), "--report");
            if (parse.GetValue(anomaly))
                return AnomalyTraining.Run(new AnomalyTrainingRequest(folder, outPath, parse.GetValue(size) ?? 224, parse.GetValue(gray), parse.GetValue(seed),
                    parse.GetValue(testFraction), parse.GetValue(fraction), parse.GetValue(threads), quiet, parse.GetValue(reportOption)), token);
            TimeSpan? timeBudget = parse.GetValue(budget) is { } budgetText ? SearchBudget.Parse(budgetText) : null;
            if (timeBudget is not null)
                foreach (var (given, option) in new[] { (parse.GetValue(transfer), "--transfer"), (parse.GetValue(weights) is not null, "--weights"), (parse.GetValue(zca) is not null, "--zca"),
                             (parse.GetValue(resume), "--resume"), (parse.GetValue(size) is not null, "--image-size"), (parse.GetValue(epochs) is not null, "--epochs"),
                             (parse.GetValue(augment), "--augment"), (parse.GetValue(arch) != "paper", "--arch"), (parse.GetValue(targetRecall) is not null, "--target-recall"),
                             (parse.GetValue(fineTune) is not null, "--fine-tune"), (parse.GetValue(classWeights) is not null, "--class-weights") })
                    if (given) throw new ArgumentException($"{option}: not with --time-budget (the search chooses the architecture, input size, augmentation and schedule).");
            var dataset = ImageFolderDataset.Scan(folder);
            bool isTransfer = parse.GetValue(transfer);
            if (parse.GetValue(fineTune) is { } tuneEpochs && (!isTransfer || tuneEpochs < 1))
                throw new ArgumentException(isTransfer ? $"--fine-tune: {tuneEpochs} epochs; give at least 1." : "--fine-tune: only with --transfer (it fine-tunes the pretrained backbone's last stage).");
            var weightsOfClasses = parse.GetValue(classWeights) is { } weightsText ? ClassWeightsOption.Parse(weightsText, dataset) : ((double Good, double Defect)?)null;
            var image = CastingImageOptions.Square(parse.GetValue(size) ?? (isTransfer ? 224 : DefaultImageSize), parse.GetValue(gray));
            string archName = isTransfer ? "resnet18-transfer" : parse.GetValue(arch)!;
            var headKind = HeadOption.Parse(parse.GetValue(head)!);
            if (!isTransfer)
            {
                CastingArchitectures.Resolve(archName); // a wrong --arch or --image-size fails before any image is read
                try { CastingArchitectures.CheckImageSize(archName, image.Grayscale, image.Width); }
                catch (ArgumentException e) { throw new ArgumentException("--image-size: " + e.Message.Split(" (Parameter")[0], e); }
            }
            if (!quiet) Console.WriteLine($"{archName} {image.Width}x{image.Height} {(image.Grayscale ? "gray" : "RGB")}");
            var mlContext = new MLContext(parse.GetValue(seed));
            var progress = !quiet && !Console.IsOutputRedirected ? new ProgressBar() : null;
            bool multiclass = dataset.Classes.Count > 2;
            Action<EpochLog>? report = quiet ? null : log =>
            {
                progress?.Clear();
                Console.WriteLine($"epoch {log.Epoch,3}: loss {log.Loss:F4} acc {log.Accuracy:P2} val_loss {log.ValLoss:F4} val_acc {log.ValAccuracy:P2} lr {log.LearningRate:G3} ({log.Seconds:F1} s)");
            };
            var experiment = new CastingExperimentOptions
            {
                ModelPath = outPath, TestFraction = parse.GetValue(testFraction), ValidationFraction = parse.GetValue(fraction), Seed = parse.GetValue(seed),
                ReportFolder = parse.GetValue(reportOption), Log = quiet ? null : Console.WriteLine,
            };
            if (timeBudget is { } timeLimit)
                experiment.Search = new CastingModelSearchOptions
                {
                    // What is left of the budget after scanning, less a share for saving the winner and testing it.
                    TimeBudget = (timeLimit - clock.Elapsed) * 0.92, Grayscale = image.Grayscale, BatchSize = parse.GetValue(batch),
                    Seed = parse.GetValue(seed), Threads = parse.GetValue(threads), SmallestImageSide = SearchBudget.MedianShorterSide(dataset),
                    WorkspacePath = parse.GetValue(workspace), CancellationToken = token,
                    Progress = quiet ? null : new SynchronousProgress<SearchProgress>(p => Console.WriteLine(SearchBudget.Describe(p))),
                };
            else if (isTransfer)
                experiment.Trainer = new ImageTransferOptions
                {
                    Image = image, Head = headKind, Epochs = parse.GetValue(epochs) ?? 50, BatchSize = parse.GetValue(batch),
                    Seed = parse.GetValue(seed), Threads = parse.GetValue(threads), TargetRecall = parse.GetValue(targetRecall),
                    WorkspacePath = parse.GetValue(workspace) ?? outPath + ".workspace", MetricsCallback = report, CancellationToken = token,
                    FineTuneEpochs = parse.GetValue(fineTune) ?? 0, ClassWeights = weightsOfClasses,
                    FeatureProgress = quiet ? null : new Progress<(int Done, int Total)>(p => { if (p.Done % 512 == 0 || p.Done == p.Total) Console.WriteLine($"bottleneck features: {p.Done}/{p.Total}"); }),
                };
            else
                experiment.Trainer = new CastingCnnOptions
                {
                    Architecture = (img, classes) =>
                    {
                        var network = CastingArchitectures.Create(archName, img.Grayscale, img.Width, classes, classes == 2 ? headKind : null);
                        if (parse.GetValue(weights) is not { } weightsFile) return network;
                        if (!network.IsBuilt) network.Build(parse.GetValue(seed));
                        var missing = StateDict.Load(network, PyTorchStateDict.ReadWeightsFile(weightsFile));
                        if (!quiet) Console.WriteLine($"weights from {weightsFile}: {(missing.Count == 0 ? "every layer" : $"all but {missing.Count} tensors ({string.Join(", ", missing.Take(4))}{(missing.Count > 4 ? ", …" : "")}), which start random")}");
                        return network;
                    },
                    Image = image, Epochs = parse.GetValue(epochs) ?? 20, BatchSize = parse.GetValue(batch), Seed = parse.GetValue(seed),
                    Augmentation = parse.GetValue(augment) ? ImageAugmentation.Paper : null, Threads = parse.GetValue(threads), ZcaPatchSize = parse.GetValue(zca),
                    TargetRecall = parse.GetValue(targetRecall), CheckpointDirectory = checkpointDir, Resume = parse.GetValue(resume),
                    Progress = progress, CancellationToken = token, MetricsCallback = report, ClassWeights = weightsOfClasses,
                };
            // The trainable network (for prune and explain) and the search's leaderboard are replaced with the model.
            experiment.CompanionFiles = (trained, search) =>
            [
                .. search is null ? Array.Empty<(string, Action<Stream>)>()
                    : [(Path.ChangeExtension(outPath, ".leaderboard.json"), s => s.Write(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(SearchBudget.Rows(search), CliJson.Options)))],
                .. parse.GetValue(zca) is not null ? []
                    : new (string, Action<Stream>)[] { (NetworkFile.PathFor(outPath), s => NetworkFile.Write(s, new NetworkFile.Spec(
                        search?.Best.Candidate.Transfer ?? isTransfer ? "resnet18-pretrained" : archName, trained.Image.Grayscale, trained.Image.Width, dataset.Classes.Count,
                        multiclass ? HeadKind.SoftmaxN : headKind, search?.Best.Candidate.Transfer ?? isTransfer), trained.Network)) },
            ];
            using var result = RunExperiment(mlContext, dataset, experiment);
            var search = result.Search;
            if (search is not null && !quiet) Console.Write(SearchBudget.Table(search));
            isTransfer = search?.Best.Candidate.Transfer ?? isTransfer;
            image = result.Classifier.Image;
            var history = result.Classifier.History;
            var network = result.Classifier.Network;
            var (onValidation, onTest) = (result.Validation, result.Test);
            if (result.StillImproving)
                Console.Error.WriteLine($"warning: validation loss was still falling at the last epoch (best epoch {history.BestEpoch} of {history.Epochs.Count}): " +
                    $"the run was too short; train longer (--epochs {2 * history.Epochs.Count}) or let the search choose (--time-budget 10m).");
            var counts = network.CountParameters();
            var summary = new
            {
                model = outPath, onnx = Path.ChangeExtension(outPath, ".onnx"), architecture = network.Name, classes = dataset.Classes,
                image_size = image.Width, channels = image.Channels, model_bytes = new FileInfo(outPath).Length, transfer = isTransfer,
                total_params = counts.Total, trainable_params = counts.Trainable, non_trainable_params = counts.NonTrainable,
                epochs_run = history.Epochs.Count, best_epoch = history.BestEpoch, still_improving = result.StillImproving,
                threshold = onValidation.Binary?.Threshold,
                val_accuracy = onValidation.Accuracy, val_precision = onValidation.Binary?.Precision, val_recall = onValidation.Binary?.Recall,
                val_f1 = onValidation.Binary?.F1, val_roc_auc = onValidation.Binary?.RocAuc,
                test_accuracy = onTest?.Accuracy, test_precision = onTest?.Binary?.Precision, test_recall = onTest?.Binary?.Recall,
                test_f1 = onTest?.Binary?.F1, test_roc_auc = onTest?.Binary?.RocAuc,
                train_images = result.Train.Images.Count, validation_images = onValidation.Images.Images.Count, test_images = onTest?.Images.Images.Count ?? 0,
                seconds = clock.Elapsed.TotalSeconds, seconds_per_epoch = history.Epochs.Count == 0 ? 0 : history.Epochs.Average(e => e.Seconds),
                history = history.Epochs, report = result.ReportPath,
                search = search is null ? null : new { winner = search.Best.Candidate.Name, cancelled = search.Cancelled, leaderboard = SearchBudget.Rows(search) },
            };
            if (quiet) CliJson.Print(summary);
            else
            {
                Console.WriteLine($"saved {outPath} ({summary.model_bytes:N0} bytes); best epoch {summary.best_epoch} of {summary.epochs_run}; {summary.seconds:F0} s");
                Console.WriteLine($"validation ({onValidation.Images.Images.Count} images, chose the best epoch): {onValidation}");
                Console.WriteLine(onTest is { } t ? $"test ({t.Images.Images.Count} images, held out, never used for a choice): {t}" : "no test set (--test-fraction 0): quote no figure from the validation set as a test result");
                if (result.ReportPath is not null) Console.WriteLine($"report: {result.ReportPath}");
            }
            return 0;
        })));
        return command;
    }

    /// <summary>Runs the experiment; a refused split names the command's option, not the library's property.</summary>
    private static CastingExperimentResult RunExperiment(MLContext mlContext, ImageFolderDataset dataset, CastingExperimentOptions options)
    {
        try
        {
            return CastingExperiment.Run(mlContext, dataset, options);
        }
        catch (ArgumentException e) when (e.ParamName == nameof(options) && e.Message.Contains("Fraction", StringComparison.Ordinal))
        {
            string message = e.Message.Split(" (Parameter")[0].Replace("ValidationFraction", "--validation-fraction", StringComparison.Ordinal)
                .Replace("TestFraction", "--test-fraction", StringComparison.Ordinal);
            throw new ArgumentException(message, e);
        }
    }
}
