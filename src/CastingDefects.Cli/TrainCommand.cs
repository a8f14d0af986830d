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
using Microsoft.ML.Data;

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
        var budget = new Option<string?>("--time-budget") { Description = "Search for the best model within this time (e.g. 10m, 90s, 1h): the pretrained ResNet18 and the paper CNN at several input sizes, with and without augmentation, ranked on the validation images; writes MODEL.leaderboard.json. Ctrl-C keeps the best so far" };
        var command = new Command("train", "Train a classifier on a folder of class subfolders and save it as an ML.NET model (.zip) plus ONNX.")
            { data, output, arch, head, transfer, anomaly, workspace, gray, size, epochs, batch, augment, testFraction, fraction, seed, threads, checkpoints, resume, zca, targetRecall, weights, reportOption, json, budget };
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
                             (parse.GetValue(augment), "--augment"), (parse.GetValue(arch) != "paper", "--arch"), (parse.GetValue(targetRecall) is not null, "--target-recall") })
                    if (given) throw new ArgumentException($"{option}: not with --time-budget (the search chooses the architecture, input size, augmentation and schedule).");
            var dataset = ImageFolderDataset.Scan(folder);
            bool isTransfer = parse.GetValue(transfer);
            var image = CastingImageOptions.Square(parse.GetValue(size) ?? (isTransfer ? 224 : DefaultImageSize), parse.GetValue(gray));
            string archName = isTransfer ? "resnet18-transfer" : parse.GetValue(arch)!;
            var headKind = HeadOption.Parse(parse.GetValue(head)!);
            if (!isTransfer)
            {
                CastingArchitectures.Resolve(archName); // a wrong --arch or --image-size fails before any image is read
                try { CastingArchitectures.CheckImageSize(archName, image.Grayscale, image.Width); }
                catch (ArgumentException e) { throw new ArgumentException("--image-size: " + e.Message.Split(" (Parameter")[0], e); }
            }
            // Three parts: the test set first (never seen by training or by any choice), then validation from the rest.
            double testShare = parse.GetValue(testFraction);
            if (testShare is < 0 or >= 1 || double.IsNaN(testShare)) throw new ArgumentException($"--test-fraction {testShare}: a share between 0 and 1.");
            var (rest, test) = testShare > 0 ? dataset.StratifiedSplit(testShare, parse.GetValue(seed)) : (dataset, null);
            var (train, validation) = rest.StratifiedSplit(parse.GetValue(fraction), parse.GetValue(seed));
            foreach (var (part, option, use) in new[] { (validation, "--validation-fraction", "the best epoch and the threshold"), (test, "--test-fraction", "the test metrics") })
            {
                if (part is null) continue;
                var missing = dataset.Classes.Where(c => part.Images.All(i => i.ClassName != c)).ToList();
                if (missing.Count > 0)
                    throw new ArgumentException($"{option} {parse.GetValue(option == "--test-fraction" ? testFraction : fraction)} leaves {part.Images.Count} of {dataset.Images.Count} images there, " +
                        $"none of class {string.Join(", ", missing)}: {use} need every class. Raise {option} or add images.");
            }
            if (!quiet)
                Console.WriteLine($"{dataset.Images.Count} images ({string.Join(", ", dataset.CountByClass().Select(kv => $"{kv.Key} {kv.Value}"))}), " +
                    $"{dataset.Skipped.Count} skipped; train {train.Images.Count}, validation {validation.Images.Count}, test {test?.Images.Count ?? 0}; {archName} {image.Width}x{image.Height} {(image.Grayscale ? "gray" : "RGB")}");

            var mlContext = new MLContext(parse.GetValue(seed));
            var progress = !quiet && !Console.IsOutputRedirected ? new ProgressBar() : null;
            bool multiclass = dataset.Classes.Count > 2;
            // Multiclass label: a key over the class folder names, in the dataset's (sorted) order.
            var labels = multiclass ? mlContext.Transforms.MapClassNamesToKey(mlContext, dataset.Classes) : null;
            IDataView Prepare(ImageFolderDataset part)
            {
                var view = part.ToDataView(mlContext);
                return labels is null ? view : labels.Fit(view).Transform(view);
            }
            var trainView = Prepare(train);
            var validationView = Prepare(validation);
            Action<EpochLog>? report = quiet ? null : log =>
            {
                progress?.Clear();
                Console.WriteLine($"epoch {log.Epoch,3}: loss {log.Loss:F4} acc {log.Accuracy:P2} val_loss {log.ValLoss:F4} val_acc {log.ValAccuracy:P2} lr {log.LearningRate:G3} ({log.Seconds:F1} s)");
            };
            TrainedNetwork trained;
            ITransformer model;
            CastingDefects.ML.Training.Search.SearchResult? search = null;
            if (timeBudget is { } timeLimit)
            {
                search = CastingDefects.ML.Training.Search.CastingModelSearch.Run(mlContext, trainView, dataset.Classes.Count, new CastingDefects.ML.Training.Search.CastingModelSearchOptions
                {
                    // What is left of the budget after scanning, less a share for saving the winner and testing it.
                    TimeBudget = (timeLimit - clock.Elapsed) * 0.92, ValidationSet = validationView, Grayscale = image.Grayscale, BatchSize = parse.GetValue(batch),
                    Seed = parse.GetValue(seed), Threads = parse.GetValue(threads), SmallestImageSide = SearchBudget.MedianShorterSide(dataset),
                    WorkspacePath = parse.GetValue(workspace), CancellationToken = token,
                    Progress = quiet ? null : new SynchronousProgress<CastingDefects.ML.Training.Search.SearchProgress>(p => Console.WriteLine(SearchBudget.Describe(p))),
                });
                model = search.Model;
                trained = new TrainedNetwork(search.Network, search.History, search.OnnxModel, search.Threshold);
                image = search.Image;
                isTransfer = search.Best.Candidate.Transfer;
                archName = isTransfer ? "resnet18-transfer" : "paper";
                if (!quiet) Console.Write(SearchBudget.Table(search));
            }
            else if (isTransfer)
            {
                var options = new CastingDefects.ML.Training.Transfer.ImageTransferOptions
                {
                    Image = image, Head = headKind, Epochs = parse.GetValue(epochs) ?? 50, BatchSize = parse.GetValue(batch),
                    Seed = parse.GetValue(seed), Threads = parse.GetValue(threads), TargetRecall = parse.GetValue(targetRecall),
                    ValidationSet = validationView, ValidationFraction = 0, WorkspacePath = parse.GetValue(workspace) ?? outPath + ".workspace",
                    MetricsCallback = report, CancellationToken = token,
                    FeatureProgress = quiet ? null : new Progress<(int Done, int Total)>(p => { if (p.Done % 512 == 0 || p.Done == p.Total) Console.WriteLine($"bottleneck features: {p.Done}/{p.Total}"); }),
                };
                if (multiclass)
                {
                    var t = mlContext.MulticlassClassification.Trainers.ImageTransfer(options);
                    model = mlContext.Transforms.LoadCastingImages(image).Append(t).Fit(trainView);
                    trained = new TrainedNetwork(t.Result!.Network, t.Result.History, t.OnnxModel!, 0.5f);
                }
                else
                {
                    var t = mlContext.BinaryClassification.Trainers.ImageTransfer(options);
                    model = mlContext.Transforms.LoadCastingImages(image).Append(t).Fit(trainView);
                    trained = new TrainedNetwork(t.Result!.Network, t.Result.History, t.OnnxModel!, t.Threshold);
                    if (!quiet) Console.WriteLine($"features: {t.Result.ComputedFeatures} computed in {t.Result.FeatureExtraction.TotalSeconds:F0} s, {t.Result.CachedFeatures} from the cache; head trained in {t.Result.HeadTraining.TotalSeconds:F1} s");
                }
            }
            else
            {
                var options = new CastingCnnOptions
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
                    TargetRecall = parse.GetValue(targetRecall),
                    ValidationSet = validationView, ValidationFraction = 0,
                    CheckpointDirectory = checkpointDir, Resume = parse.GetValue(resume),
                    Progress = progress, CancellationToken = token, MetricsCallback = report,
                };
                CastingCnnTrainerBase trainer = multiclass
                    ? mlContext.MulticlassClassification.Trainers.CastingCnn(options)
                    : mlContext.BinaryClassification.Trainers.CastingCnn(options);
                model = mlContext.Transforms.LoadCastingImages(image).Append(trainer).Fit(trainView);
                trained = new TrainedNetwork(trainer.Network!, trainer.History!, trainer.OnnxModel!, (trainer as CastingCnnTrainer)?.Threshold ?? 0.5f);
            }
            using var releaseTrained = new ModelRelease(model); // also when saving fails below
            // The model, its ONNX network and its training history are replaced together (AtomicFile.WriteAll).
            var curves = trained.History.Epochs.Select(e => new CastingDefects.ML.Evaluation.Reports.TrainingCurve(e.Epoch, e.Loss, e.Accuracy, e.ValLoss, e.ValAccuracy, e.LearningRate)).ToList();
            CastingDefects.ML.IO.AtomicFile.WriteAll(
            [
                (outPath, s => mlContext.Model.Save(model, trainView.Schema, s)),
                (Path.ChangeExtension(outPath, ".onnx"), s => s.Write(trained.Onnx)),
                (Path.ChangeExtension(outPath, ".history.json"), s => s.Write(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(curves, CliJson.Options))),
                .. search is null ? Array.Empty<(string, Action<Stream>)>()
                    : [(Path.ChangeExtension(outPath, ".leaderboard.json"), s => s.Write(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(SearchBudget.Rows(search), CliJson.Options)))],
                .. parse.GetValue(zca) is null
                    ? new (string, Action<Stream>)[] { (NetworkFile.PathFor(outPath), s => NetworkFile.Write(s, new NetworkFile.Spec(isTransfer ? "resnet18-pretrained" : archName,
                        image.Grayscale, image.Width, dataset.Classes.Count, multiclass ? HeadKind.SoftmaxN : headKind, isTransfer), trained.Network)) }
                    : [],
            ]);

            // Metrics of the saved model, through the same path users predict with: on the validation set (which chose the
            // best epoch and the threshold) and on the test set (which chose nothing: the figures to quote).
            var loaded = mlContext.Model.LoadCastingModel(outPath);
            using var release = new ModelRelease(loaded);
            var onValidation = Score(validation);
            (IDataView Scored, BinaryMetrics? Metrics, double Accuracy)? onTest = test is null ? null : Score(test);
            (IDataView Scored, BinaryMetrics? Metrics, double Accuracy) Score(ImageFolderDataset part)
            {
                var scored = loaded.Transform(Prepare(part));
                if (multiclass) return (scored, null, mlContext.MulticlassClassification.Evaluate(scored).MicroAccuracy);
                var m = BinaryMetrics.Compute(part.Images.Select(i => i.IsDefect).ToArray(), BinaryScores.Read(scored).Probabilities, trained.Threshold);
                return (scored, m, m.Accuracy);
            }
            var history = trained.History;
            var network = trained.Network;
            string? html = null;
            if (parse.GetValue(reportOption) is { } reportFolder)
            {
                var (reportPart, reportScored, which) = test is null || onTest is not { } t
                    ? (validation, onValidation.Scored, "validation") : (test, t.Scored, "test");
                var evaluation = multiclass ? EvaluateCommand.EvaluateMulticlass(reportScored, reportPart)
                    : EvaluateCommand.EvaluateBinary(reportScored, reportPart, trained.Threshold, null, false);
                evaluation.Report.Training = curves;
                evaluation.Report.Notes = [$"Model: {outPath} ({archName}, {image.Width}x{image.Height} {(image.Grayscale ? "gray" : "RGB")})",
                    $"Held-out {which} images: {reportPart.Images.Count} of {dataset.Images.Count} from {Path.GetFullPath(folder)}" +
                    (test is null ? " (they also chose the best epoch: optimistic)" : " (never used in training or for any choice)"),
                    .. search is null ? [] : SearchBudget.Notes(search), .. evaluation.Notes];
                using var overlays = ReportOverlays.Attach(evaluation.Report, outPath, multiclass);
                html = evaluation.Report.Write(reportFolder);
            }
            // A run that ended by its epoch limit while validation loss was still falling was too short.
            bool tooShort = search is null && history.StillImproving && history.Epochs.Count >= (parse.GetValue(epochs) ?? (isTransfer ? 50 : 20));
            if (tooShort)
                Console.Error.WriteLine($"warning: validation loss was still falling at the last epoch (best epoch {history.BestEpoch} of {history.Epochs.Count}): " +
                    $"the run was too short; train longer (--epochs {2 * history.Epochs.Count}) or let the search choose (--time-budget 10m).");
            var counts = network.CountParameters();
            var result = new
            {
                model = outPath, onnx = Path.ChangeExtension(outPath, ".onnx"), architecture = network.Name, classes = dataset.Classes,
                image_size = image.Width, channels = image.Channels, model_bytes = new FileInfo(outPath).Length, transfer = isTransfer,
                total_params = counts.Total, trainable_params = counts.Trainable, non_trainable_params = counts.NonTrainable,
                epochs_run = history.Epochs.Count, best_epoch = history.BestEpoch, still_improving = tooShort,
                threshold = onValidation.Metrics?.Threshold,
                val_accuracy = onValidation.Accuracy, val_precision = onValidation.Metrics?.Precision, val_recall = onValidation.Metrics?.Recall,
                val_f1 = onValidation.Metrics?.F1, val_roc_auc = onValidation.Metrics?.RocAuc,
                test_accuracy = onTest?.Accuracy, test_precision = onTest?.Metrics?.Precision, test_recall = onTest?.Metrics?.Recall,
                test_f1 = onTest?.Metrics?.F1, test_roc_auc = onTest?.Metrics?.RocAuc,
                train_images = train.Images.Count, validation_images = validation.Images.Count, test_images = test?.Images.Count ?? 0,
                seconds = clock.Elapsed.TotalSeconds, seconds_per_epoch = history.Epochs.Count == 0 ? 0 : history.Epochs.Average(e => e.Seconds),
                history = history.Epochs, report = html,
                search = search is null ? null : new { winner = search.Best.Candidate.Name, cancelled = search.Cancelled, leaderboard = SearchBudget.Rows(search) },
            };
            if (quiet) CliJson.Print(result);
            else
            {
                static string Line((IDataView, BinaryMetrics? Metrics, double Accuracy) r) =>
                    $"accuracy {r.Accuracy:P2}" + (r.Metrics is null ? "" : $", defect recall {r.Metrics.Recall:P2}, AUC {r.Metrics.RocAuc:F4}");
                Console.WriteLine($"saved {outPath} ({result.model_bytes:N0} bytes); best epoch {result.best_epoch} of {result.epochs_run}; {result.seconds:F0} s");
                Console.WriteLine($"validation ({validation.Images.Count} images, chose the best epoch): {Line(onValidation)}");
                Console.WriteLine(onTest is { } t ? $"test ({test!.Images.Count} images, held out, never used for a choice): {Line(t)}" : "no test set (--test-fraction 0): quote no figure from the validation set as a test result");
                if (html is not null) Console.WriteLine($"report: {html}");
            }
            return 0;
        })));
        return command;
    }

    /// <summary>What the CLI reports of either trainer.</summary>
    private sealed record TrainedNetwork(Sequential Network, History History, byte[] Onnx, float Threshold);
}
