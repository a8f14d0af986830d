using CastingDefects.ML.Evaluation.Reports;
using System.Diagnostics;
using CastingDefects.ML.Data;
using CastingDefects.ML.Evaluation;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.Anomaly;
using CastingDefects.ML.Training.MLNet;
using Microsoft.ML;

namespace CastingDefects.Cli;

/// <summary>What <c>train --anomaly</c> was asked to do.</summary>
internal sealed record AnomalyTrainingRequest(string Folder, string OutPath, int ImageSize, bool Grayscale, int Seed, double TestFraction,
    double ValidationFraction, int? Threads, bool Quiet, string? ReportFolder);

/// <summary>
/// <c>casting-defects train --anomaly</c>: fits the PaDiM detector on the good images, chooses the threshold on validation
/// images (with the defects not used elsewhere), saves the model like a classifier and measures it on held-out images.
/// </summary>
internal static class AnomalyTraining
{
    public static int Run(AnomalyTrainingRequest request, CancellationToken token)
    {
        var clock = Stopwatch.StartNew();
        bool quiet = request.Quiet;
        var dataset = ImageFolderDataset.ScanGoodImages(request.Folder);
        var goodClasses = dataset.Classes.Where(c => !c.StartsWith("def", StringComparison.OrdinalIgnoreCase)).ToList();
        if (dataset.Classes.Count > 1 && goodClasses.Count != 1)
            throw new ArgumentException($"--anomaly: '{dataset.Root}' has class folders {string.Join(", ", dataset.Classes)}; the detector learns from one folder " +
                "of good images, the one whose name does not start with \"def\" (defect folders start with \"def\"). Rename the folders or give the good folder alone.");
        string good = dataset.Classes.Count == 1 ? dataset.Classes[0] : goodClasses[0];
        dataset = dataset.WithImages(dataset.Images.Select(i => i with { IsDefect = i.ClassName != good }));
        bool hasDefects = dataset.Images.Any(i => i.IsDefect);

        // The test set first (stratified; only when there are defects to test on), then validation from the rest. Defect
        // images of the training part are not fitted: they join the validation images that choose the threshold.
        var (rest, test) = hasDefects && request.TestFraction > 0 ? dataset.StratifiedSplit(request.TestFraction, request.Seed) : (dataset, null);
        var (trainPart, validationPart) = rest.StratifiedSplit(request.ValidationFraction, request.Seed);
        var train = trainPart.WithImages(trainPart.Images.Where(i => !i.IsDefect));
        var validation = validationPart.WithImages(validationPart.Images.Concat(trainPart.Images.Where(i => i.IsDefect)).OrderBy(i => i.Path, StringComparer.Ordinal));
        if (validation.Images.All(i => i.IsDefect))
            throw new ArgumentException($"--validation-fraction {request.ValidationFraction} leaves no good image to choose the threshold on; raise it or add good images.");
        var image = CastingImageOptions.Square(request.ImageSize, request.Grayscale);
        if (!quiet)
            Console.WriteLine($"anomaly detector (PaDiM, pretrained ResNet18) on {train.Images.Count} good images of '{good}'; threshold chosen on {validation.Images.Count} " +
                $"({validation.Images.Count(i => i.IsDefect)} defects); test {test?.Images.Count ?? 0}; {image.Width}x{image.Height} {(image.Grayscale ? "gray" : "RGB")}");

        var mlContext = new MLContext(request.Seed);
        var options = new PadimOptions
        {
            Image = image, Seed = request.Seed, Threads = request.Threads, ValidationSet = validation.ToDataView(mlContext), CancellationToken = token,
            Progress = quiet ? null : new Progress<(int Done, int Total)>(p => { if (p.Done % 512 < 16 || p.Done == p.Total) Console.WriteLine($"features: {p.Done}/{p.Total}"); }),
        };
        try { options.Validate(); }
        catch (ArgumentException e) { throw new ArgumentException("--image-size: " + e.Message, e); }
        var trainer = mlContext.AnomalyDetection.Trainers.Padim(options);
        var trainView = train.ToDataView(mlContext);
        var model = mlContext.Transforms.LoadCastingImages(image).Append(trainer).Fit(trainView);
        using var releaseTrained = new ModelRelease(model);
        var detector = trainer.Model!;
        CastingDefects.ML.IO.AtomicFile.WriteAll(
        [
            (request.OutPath, s => mlContext.Model.Save(model, trainView.Schema, s)),
            (Path.ChangeExtension(request.OutPath, ".onnx"), s => s.Write(detector.Onnx)),
        ]);

        // Measured through the saved model, as users predict with it.
        var loaded = mlContext.Model.LoadCastingModel(request.OutPath);
        using var release = new ModelRelease(loaded);
        (IDataView Scored, BinaryMetrics Metrics) Score(ImageFolderDataset part)
        {
            var scored = loaded.Transform(part.ToDataView(mlContext));
            return (scored, BinaryMetrics.Compute(part.Images.Select(i => i.IsDefect).ToArray(), BinaryScores.Read(scored).Probabilities, 0.5f));
        }
        var onValidation = Score(validation);
        (IDataView Scored, BinaryMetrics Metrics)? onTest = test is null ? null : Score(test);
        string? html = null;
        if (request.ReportFolder is { } reportFolder)
        {
            var (part, scored, which) = test is null || onTest is not { } t ? (validation, onValidation.Scored, "validation") : (test, t.Scored, "test");
            var evaluation = DatasetEvaluation.ForBinary(scored, part, 0.5f);
            evaluation.Report.Notes = [$"Model: {request.OutPath} (PaDiM anomaly detector fitted on {train.Images.Count} good images, {image.Width}x{image.Height})",
                $"Held-out {which} images: {part.Images.Count}" + (test is null ? " (they also chose the threshold: optimistic)" : " (never used for fitting or any choice)"), .. evaluation.Notes];
            using var overlays = ReportOverlays.Attach(evaluation.Report, request.OutPath, multiclass: false);
            html = evaluation.Report.Write(reportFolder);
        }
        var result = new
        {
            model = request.OutPath, onnx = Path.ChangeExtension(request.OutPath, ".onnx"), architecture = "padim-resnet18", task = "anomaly",
            good_class = good, image_size = image.Width, channels = image.Channels, model_bytes = new FileInfo(request.OutPath).Length,
            memory_bank_bytes = detector.MemoryBankBytes, dimensions = detector.Dimensions, grid = new[] { detector.Grid.Height, detector.Grid.Width },
            fitted_images = detector.FittedImages, threshold = detector.Threshold, score_scale = detector.Scale,
            val_accuracy = onValidation.Metrics.Accuracy, val_recall = onValidation.Metrics.Recall, val_roc_auc = Nan(onValidation.Metrics.RocAuc),
            test_accuracy = onTest?.Metrics.Accuracy, test_precision = onTest?.Metrics.Precision, test_recall = onTest?.Metrics.Recall,
            test_f1 = onTest?.Metrics.F1, test_roc_auc = onTest is { } tt ? Nan(tt.Metrics.RocAuc) : null, test_confusion_matrix = onTest?.Metrics.ConfusionMatrix,
            train_images = train.Images.Count, validation_images = validation.Images.Count, test_images = test?.Images.Count ?? 0,
            feature_seconds = detector.FeatureExtraction.TotalSeconds, fit_seconds = detector.FitTime.TotalSeconds, seconds = clock.Elapsed.TotalSeconds, report = html,
        };
        if (quiet) CliJson.Print(result);
        else
        {
            static string Line(BinaryMetrics m) => $"accuracy {m.Accuracy:P2}, defect recall {m.Recall:P2}" + (double.IsNaN(m.RocAuc) ? "" : $", AUROC {m.RocAuc:F4}");
            Console.WriteLine($"saved {request.OutPath} ({result.model_bytes:N0} bytes; memory bank {detector.MemoryBankBytes / 1e6:F1} MB: {detector.Grid.Height}x{detector.Grid.Width} Gaussians of {detector.Dimensions} features); " +
                $"fitted in {detector.FitTime.TotalSeconds:F0} s, {result.seconds:F0} s in all");
            Console.WriteLine($"threshold {detector.Threshold:G4} on the anomaly score; validation ({validation.Images.Count} images, chose it): {Line(onValidation.Metrics)}");
            Console.WriteLine(onTest is { } t ? $"test ({test!.Images.Count} images, held out): {Line(t.Metrics)}" : "no test set (no defect images, or --test-fraction 0)");
            if (html is not null) Console.WriteLine($"report: {html}");
        }
        return 0;
    }

    private static double? Nan(double value) => double.IsNaN(value) ? null : value;
}
