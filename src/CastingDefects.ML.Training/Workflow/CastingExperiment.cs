using System.Diagnostics;
using CastingDefects.ML.Data;
using CastingDefects.ML.Evaluation;
using CastingDefects.ML.Evaluation.Reports;
using CastingDefects.ML.Inference;
using CastingDefects.ML.IO;
using CastingDefects.ML.Training.MLNet;
using CastingDefects.ML.Training.Search;
using CastingDefects.ML.Training.Transfer;
using Microsoft.ML;

namespace CastingDefects.ML.Training.Workflow;

/// <summary>
/// Train, save, then measure the saved model on held-out images: the whole of <c>casting-defects train</c> as one call
/// (ML.NET Model Builder's "train, evaluate, consume"). The data is split three ways, stratified: the test set first
/// (used for nothing but its figures), then validation from the rest (best epoch, threshold, the search's ranking). The
/// model, its ONNX network, its history and any companion files are replaced together; the figures are those of the saved
/// file, loaded back through the path users predict with.
/// </summary>
/// <example>
/// <code>
/// var mlContext = new MLContext(seed: 42);
/// using var result = CastingExperiment.Run(mlContext, ImageFolderDataset.Scan("casting_data/train"),
///     new CastingExperimentOptions { ModelPath = "casting.zip", Trainer = new CastingCnnOptions { Image = CastingImageOptions.Square(128, grayscale: true) } });
/// Console.WriteLine($"test: {result.Test}");
/// </code>
/// </example>
public static class CastingExperiment
{
    /// <summary>Runs the experiment on <paramref name="dataset"/>; see <see cref="CastingExperimentOptions"/>.</summary>
    public static CastingExperimentResult Run(MLContext mlContext, ImageFolderDataset dataset, CastingExperimentOptions options)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Trainer is not null && options.Search is not null)
            throw new ArgumentException("Give a Trainer or a Search, not both.", nameof(options));
        if (options.TestFraction is < 0 or >= 1 || double.IsNaN(options.TestFraction))
            throw new ArgumentOutOfRangeException(nameof(options), options.TestFraction, $"TestFraction {options.TestFraction}: a share between 0 and 1.");
        var clock = Stopwatch.StartNew();
        string modelPath = Path.GetFullPath(options.ModelPath);

        // Three parts: the test set first (never seen by training or by any choice), then validation from the rest.
        var (rest, test) = options.TestFraction > 0 ? dataset.StratifiedSplit(options.TestFraction, options.Seed) : (dataset, null);
        var (train, validation) = rest.StratifiedSplit(options.ValidationFraction, options.Seed);
        foreach (var (part, option, fraction, use) in new[] { (validation, "ValidationFraction", options.ValidationFraction, "the best epoch and the threshold"), (test, "TestFraction", options.TestFraction, "the test metrics") })
        {
            if (part is null) continue;
            var missing = dataset.Classes.Where(c => part.Images.All(i => i.ClassName != c)).ToList();
            if (missing.Count > 0)
                throw new ArgumentException($"{option} {fraction} leaves {part.Images.Count} of {dataset.Images.Count} images there, " +
                    $"none of class {string.Join(", ", missing)}: {use} need every class. Raise {option} or add images.", nameof(options));
        }
        options.Log?.Invoke($"{dataset.Images.Count} images ({string.Join(", ", dataset.CountByClass().Select(kv => $"{kv.Key} {kv.Value}"))}), " +
            $"{dataset.Skipped.Count} skipped; train {train.Images.Count}, validation {validation.Images.Count}, test {test?.Images.Count ?? 0}");

        bool multiclass = dataset.Classes.Count > 2;
        // Multiclass label: a key over the class folder names, in the dataset's (sorted) order.
        var labels = multiclass ? mlContext.Transforms.MapClassNamesToKey(dataset.Classes) : null;
        IDataView Prepare(ImageFolderDataset part)
        {
            var view = part.ToDataView(mlContext);
            return labels is null ? view : labels.Fit(view).Transform(view);
        }
        var trainView = Prepare(train);
        var validationView = Prepare(validation);

        ITransformer fitted;
        CastingClassifierModel classifier;
        SearchResult? search = null;
        if (options.Search is { } searchOptions)
        {
            search = CastingModelSearch.Run(mlContext, trainView, dataset.Classes.Count, searchOptions.WithValidation(validationView));
            fitted = search.Model;
            classifier = new CastingClassifierModel(search.Network, search.History, search.OnnxModel, search.Threshold,
                multiclass ? dataset.Classes : ["good", "defect"], search.Image, null);
        }
        else
        {
            var trainer = (options.Trainer ?? new CastingCnnOptions { Image = CastingImageOptions.Square(128, grayscale: true) }).WithValidation(validationView);
            IEstimator<CastingPredictionTransformer> estimator = (trainer, multiclass) switch
            {
                (CastingCnnOptions cnn, false) => mlContext.BinaryClassification.Trainers.CastingCnn(cnn),
                (CastingCnnOptions cnn, true) => mlContext.MulticlassClassification.Trainers.CastingCnn(cnn),
                (ImageTransferOptions transfer, false) => mlContext.BinaryClassification.Trainers.ImageTransfer(transfer),
                (ImageTransferOptions transfer, true) => mlContext.MulticlassClassification.Trainers.ImageTransfer(transfer),
                _ => throw new ArgumentException($"Trainer options of type {trainer.GetType().Name} are not known to the experiment.", nameof(options)),
            };
            var chain = mlContext.Transforms.LoadCastingImages(trainer.Image).Append(estimator).Fit(trainView);
            fitted = chain;
            classifier = chain.LastTransformer.Model;
        }

        try
        {
            var curves = classifier.History.Epochs.Select(e => new TrainingCurve(e.Epoch, e.Loss, e.Accuracy, e.ValLoss, e.ValAccuracy, e.LearningRate)).ToList();
            AtomicFile.WriteAll(
            [
                (modelPath, s => mlContext.Model.Save(fitted, trainView.Schema, s)),
                (Path.ChangeExtension(modelPath, ".onnx"), s => s.Write(classifier.OnnxModel)),
                (TrainingHistoryFile.PathFor(modelPath), s => TrainingHistoryFile.Write(s, curves)),
                .. options.CompanionFiles?.Invoke(classifier, search) ?? [],
            ]);
            options.Log?.Invoke($"saved {modelPath}");

            // Metrics of the saved model, through the same path users predict with: on the validation set (which chose the
            // best epoch and the threshold) and on the test set (which chose nothing: the figures to quote).
            var loaded = mlContext.Model.LoadCastingModel(modelPath);
            try
            {
                HeldOutScore Score(ImageFolderDataset part)
                {
                    // Cached: the metrics and the report read the scores of one decoding of each image.
                    var scored = mlContext.Data.Cache(loaded.Transform(Prepare(part)));
                    if (multiclass) return new HeldOutScore(part, scored, mlContext.MulticlassClassification.Evaluate(scored).MicroAccuracy, null);
                    var m = BinaryMetrics.Compute(part.Images.Select(i => i.IsDefect).ToArray(), BinaryScores.Read(scored).Probabilities, classifier.Threshold);
                    return new HeldOutScore(part, scored, m.Accuracy, m);
                }
                var onValidation = Score(validation);
                var onTest = test is null ? null : Score(test);
                string? html = null;
                if (options.ReportFolder is { } reportFolder)
                {
                    var (shown, which) = onTest is null ? (onValidation, "validation") : (onTest, "test");
                    var evaluation = multiclass ? DatasetEvaluation.ForMulticlass(shown.Scored, shown.Images)
                        : DatasetEvaluation.ForBinary(shown.Scored, shown.Images, classifier.Threshold);
                    evaluation.Report.Training = curves;
                    evaluation.Report.Notes = [$"Model: {modelPath} ({classifier.Network.Name}, {classifier.Image.Width}x{classifier.Image.Height} {(classifier.Image.Grayscale ? "gray" : "RGB")})",
                        $"Held-out {which} images: {shown.Images.Images.Count} of {dataset.Images.Count}" +
                        (onTest is null ? " (they also chose the best epoch: optimistic)" : " (never used in training or for any choice)"),
                        .. search?.ReportNotes() ?? [], .. evaluation.Notes];
                    using var overlays = ReportOverlays.Attach(evaluation.Report, modelPath, multiclass);
                    html = evaluation.Report.Write(reportFolder);
                }
                // A run that ended by its epoch limit while validation loss was still falling was too short.
                int maxEpochs = options.Trainer?.Epochs ?? (options.Search is null ? 20 : int.MaxValue);
                bool tooShort = search is null && classifier.History.StillImproving && classifier.History.Epochs.Count >= maxEpochs;
                return new CastingExperimentResult(modelPath, loaded, classifier, search, fitted, train, onValidation, onTest, html, tooShort, clock.Elapsed);
            }
            catch
            {
                loaded.DisposeModel();
                throw;
            }
        }
        catch
        {
            if (search is not null) search.Dispose();
            else fitted.DisposeModel();
            throw;
        }
    }
}
