using System.Diagnostics;
using CastingDefects.ML.Augmentation;
using CastingDefects.ML.Data;
using CastingDefects.ML.Evaluation;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.Callbacks;
using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.MLNet;
using CastingDefects.ML.Training.Models;
using CastingDefects.ML.Training.Runtime;
using CastingDefects.ML.Training.Transfer;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.ML.Training.Search;

/// <summary>
/// "Train for N minutes, get the best model", with the transparency of a leaderboard: tries a portfolio of candidates
/// chosen from the data (<see cref="SearchCandidate.Portfolio"/>) under a time budget and keeps the one that scores best
/// on the validation images. First rung: 70 % of the budget divided by the candidates' shares (early stopping on
/// validation loss may end it sooner, <see cref="TimeStopping"/> ends it at its share). Then, successive halving, the
/// better half of the first rung's trials that were still improving when their share ran out split the rest of the
/// budget equally, the leader last: a CNN or a fine-tuning resumes from its last epoch's checkpoint (the fine-tuning's frozen
/// features come from the workspace's cache), a transfer head (cheap, its features cached) trains again with the
/// longer time. Time still left (every trial ended early) goes to the reserves (<see cref="SearchCandidate.Reserves"/>).
/// Cancellation keeps the best model so far.
/// </summary>
public static class CastingModelSearch
{
    private const double FirstRungShare = 0.7;

    /// <summary>Most early-stopping patience of fine-tuning (its epochs are long).</summary>
    private const int FineTunePatience = 6;

    /// <summary>
    /// Runs the search on <paramref name="train"/> (columns <c>ImagePath</c>, <c>Label</c>: bool for two classes, a key
    /// for more), ranking on <see cref="CastingModelSearchOptions.ValidationSet"/>.
    /// </summary>
    public static SearchResult Run(MLContext mlContext, IDataView train, int classes, CastingModelSearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        var validation = options.ValidationSet ?? throw new ArgumentException("The search ranks candidates on validation images: set ValidationSet.", nameof(options));
        if (options.TimeBudget <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), options.TimeBudget, "The time budget must be positive.");
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "At least two classes.");
        if (options.EarlyStoppingPatience < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.EarlyStoppingPatience, "EarlyStoppingPatience must be at least one epoch.");
        (int Good, int Defect) counts = (0, 0);
        if (classes == 2)
        {
            var labels = train.GetColumn<bool>("Label").ToArray();
            counts = (labels.Count(l => !l), labels.Count(l => l));
        }
        var candidates = options.Candidates ?? SearchCandidate.Portfolio(options.SmallestImageSide, classes,
            classes == 2 && counts.Good + counts.Defect > 0 ? (double)counts.Defect / (counts.Good + counts.Defect) : 0.5, options.TimeBudget);
        if (candidates.Count == 0) throw new ArgumentException("No candidates to try.", nameof(options));
        if (candidates.FirstOrDefault(c => c.Share <= 0 || !double.IsFinite(c.Share)) is { } badShare)
            throw new ArgumentException($"Candidate '{badShare.Name}': its share of the time must be positive, not {badShare.Share}.", nameof(options));
        var reserves = options.Reserves ?? (options.Candidates is null ? SearchCandidate.Reserves(options.SmallestImageSide, options.TimeBudget) : []);
        if (classes != 2 && candidates.Concat(reserves).FirstOrDefault(c => c.BalancedClassWeights) is { } weighted)
            throw new ArgumentException($"Candidate '{weighted.Name}': class weights are for two classes; this search has {classes}.", nameof(options));
        string workspace = options.WorkspacePath ?? Path.Combine(Path.GetTempPath(), "cdml-search-" + Guid.NewGuid().ToString("N")[..12]);
        bool temporaryWorkspace = options.WorkspacePath is null;
        var clock = Stopwatch.StartNew();
        TimeSpan Left() => options.TimeBudget - clock.Elapsed;

        var trials = new List<SearchTrial>();
        Fitted? best = null;
        bool cancelled = false;
        void Try(SearchCandidate candidate, TimeSpan slice, bool resume)
        {
            options.Progress?.Report(new SearchProgress(candidate, Left(), null));
            var (trial, fitted) = RunTrial(mlContext, train, validation, classes, counts, candidate, slice, Left(), workspace, resume, options);
            trials.Add(trial);
            NativeMathSettings.ReleaseFreedMemory(); // the next trial's buffers have other shapes: do not add its kept blocks to this one's
            options.Progress?.Report(new SearchProgress(candidate, Left(), trial));
            if (fitted is null) return;
            if (best is null || trial.Rank.CompareTo(best.Trial.Rank) > 0) { best?.Dispose(); best = fitted with { Trial = trial }; }
            else fitted.Dispose();
        }
        // The candidates of a queue, in order, each with an equal part of what is left (less a tenth, for the epoch that
        // runs past a slice), while worthIt(candidates still waiting) holds.
        void ShareTheRest(IReadOnlyList<SearchCandidate> queue, bool resume, Func<int, bool> worthIt)
        {
            for (int i = 0; i < queue.Count && worthIt(queue.Count - i); i++)
            {
                options.CancellationToken.ThrowIfCancellationRequested();
                Try(queue[i], Left() * 0.9 / (queue.Count - i), resume);
            }
        }
        try
        {
            var unit = options.TimeBudget * FirstRungShare / candidates.Sum(c => c.Share);
            foreach (var candidate in candidates)
            {
                options.CancellationToken.ThrowIfCancellationRequested();
                var share = unit * candidate.Share;
                if (Left() < share * 0.5) continue; // not enough left to give it a fair share
                Try(candidate, Min(share, Left()), resume: false);
            }
            // Second rung (successive halving): the better half of the first rung's trials, those of them still
            // improving when their time ran out, share the rest equally. The leader goes last and takes what the
            // others left: a slice ends with the epoch that runs past it, and a ResNet18 epoch is long. A tenth of
            // each slice is kept for that epoch.
            var promoted = trials.OrderByDescending(t => t.Rank).Take((trials.Count + 1) / 2)
                .Where(t => t.Status == TrialStatus.StoppedByBudget).Reverse()
                .Select(t => t.Candidate with { Name = t.Candidate.Name + "+more-time" }).ToList();
            ShareTheRest(promoted, resume: true, _ => Left() > options.TimeBudget * 0.1);
            // Time left over (the trials ended early): the reserves share it, as long as each gets a tenth of the budget.
            ShareTheRest(reserves, resume: false, waiting => Left() / waiting > options.TimeBudget * 0.1);
        }
        catch (OperationCanceledException) when (options.CancellationToken.IsCancellationRequested)
        {
            cancelled = true;
        }
        finally
        {
            if (temporaryWorkspace && Directory.Exists(workspace))
                try { Directory.Delete(workspace, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        if (best is null)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            throw new InvalidOperationException("No candidate finished within the time budget: " +
                string.Join("; ", trials.Select(t => $"{t.Candidate.Name}: {t.Error}")) + ". Give a longer budget.");
        }
        var leaderboard = trials.OrderByDescending(t => t.Rank).ToList();
        return new SearchResult(leaderboard, best.Trial, best.Model, best.Network, best.History, best.Onnx, best.Threshold, best.Image, cancelled);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>A trial's fitted model, kept while it leads.</summary>
    private sealed record Fitted(SearchTrial Trial, ITransformer Model, Sequential Network, History History, byte[] Onnx, float Threshold, CastingImageOptions Image) : IDisposable
    {
        public void Dispose()
        {
            TransformerDisposal.DisposeModel(Model);
            Network.Dispose();
        }
    }

    private static (SearchTrial Trial, Fitted? Fitted) RunTrial(MLContext mlContext, IDataView train, IDataView validation, int classes,
        (int Good, int Defect) counts, SearchCandidate candidate, TimeSpan slice, TimeSpan left, string workspace, bool resume, CastingModelSearchOptions options)
    {
        var clock = Stopwatch.StartNew();
        var image = CastingImageOptions.Square(candidate.ImageSize, options.Grayscale);
        var timeStopping = new TimeStopping(slice) { AcrossFits = true }; // a transfer trial's head and fine-tuning share the slice
        // A hard stop at the end of the budget: feature extraction, unlike training, cannot stop between epochs.
        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken);
        hardStop.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
        ITransformer? model = null;
        var classWeights = candidate.BalancedClassWeights ? ClassWeighting.Balanced(counts.Good, counts.Defect) : ((double, double)?)null;
        // One checkpoint folder per configuration: the first rung starts it afresh, the second resumes from it.
        string checkpoints = Path.Combine(workspace, "checkpoints", candidate.Name.Split('+')[0]);
        if (!resume && Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true);
        try
        {
            Sequential network;
            History history;
            byte[] onnx;
            float threshold;
            if (candidate.Transfer)
            {
                var transfer = new ImageTransferOptions
                {
                    Image = image, Epochs = 200, BatchSize = options.BatchSize, Seed = options.Seed, Threads = options.Threads,
                    ValidationSet = validation, ValidationFraction = 0, CancellationToken = hardStop.Token,
                    WorkspacePath = Path.Combine(workspace, $"resnet18-{candidate.ImageSize}-{(options.Grayscale ? "gray" : "rgb")}"),
                    ClassWeights = classWeights, FineTuneEpochs = candidate.FineTune ? options.MaxEpochs : 0,
                    EarlyStoppingPatience = candidate.FineTune ? Math.Min(FineTunePatience, options.EarlyStoppingPatience) : options.EarlyStoppingPatience, CheckpointDirectory = candidate.FineTune ? checkpoints : null, Resume = resume,
                };
                transfer.Callbacks.Add(timeStopping);
                ImageTransferTrainerBase trainer = classes == 2
                    ? mlContext.BinaryClassification.Trainers.ImageTransfer(transfer)
                    : mlContext.MulticlassClassification.Trainers.ImageTransfer(transfer);
                var chain = mlContext.Transforms.LoadCastingImages(image).Append(trainer).Fit(train);
                model = chain;
                (network, history, onnx, threshold) = chain.LastTransformer.Model;
            }
            else
            {
                var cnn = new CastingCnnOptions
                {
                    Image = image, Epochs = options.MaxEpochs, BatchSize = options.BatchSize, Seed = options.Seed, Threads = options.Threads,
                    Augmentation = candidate.Augment ? ImageAugmentation.Paper : null, ClassWeights = classWeights, EarlyStoppingPatience = options.EarlyStoppingPatience,
                    ValidationSet = validation, ValidationFraction = 0, CancellationToken = hardStop.Token,
                    CheckpointDirectory = checkpoints, Resume = resume,
                };
                cnn.Callbacks.Add(timeStopping);
                CastingCnnTrainerBase trainer = classes == 2
                    ? mlContext.BinaryClassification.Trainers.CastingCnn(cnn)
                    : mlContext.MulticlassClassification.Trainers.CastingCnn(cnn);
                var chain = mlContext.Transforms.LoadCastingImages(image).Append(trainer).Fit(train);
                model = chain;
                (network, history, onnx, threshold) = chain.LastTransformer.Model;
            }
            var scored = model.Transform(validation);
            double accuracy;
            double? recall = null, auc = null;
            if (classes == 2)
            {
                var labels = validation.GetColumn<bool>("Label").ToArray();
                var metrics = BinaryMetrics.Compute(labels, BinaryScores.Read(scored).Probabilities, threshold);
                (accuracy, recall, auc) = (metrics.Accuracy, metrics.Recall, metrics.RocAuc);
            }
            else accuracy = mlContext.MulticlassClassification.Evaluate(scored).MicroAccuracy;
            double valLoss = history.Epochs.Count == 0 ? double.NaN : history.Epochs.Min(e => e.ValLoss);
            var trial = new SearchTrial(candidate, timeStopping.Stopped ? TrialStatus.StoppedByBudget : TrialStatus.Converged,
                network.CountParameters().Total, history.Epochs.Count, accuracy, recall, auc, valLoss, clock.Elapsed.TotalSeconds, Latency(onnx), null);
            return (trial, new Fitted(trial, model, network, history, onnx, threshold, image));
        }
        catch (OperationCanceledException) when (!options.CancellationToken.IsCancellationRequested)
        {
            model.DisposeModel();
            return (Failed(candidate, clock, "the time budget ran out before it finished"), null);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or InvalidDataException)
        {
            model.DisposeModel();
            return (Failed(candidate, clock, e.Message), null);
        }
    }

    private static SearchTrial Failed(SearchCandidate candidate, Stopwatch clock, string error) =>
        new(candidate, TrialStatus.Failed, 0, 0, 0, null, null, double.NaN, clock.Elapsed.TotalSeconds, 0, error);

    /// <summary>Median ONNX Runtime time of one image (one thread), over 15 runs after 3 warm-up runs.</summary>
    private static double Latency(byte[] onnx)
    {
        using var model = new CastingOnnxModel(onnx, intraOpThreads: 1);
        var pixels = new float[model.Image.FeatureLength];
        for (int i = 0; i < 3; i++) model.Classify(pixels);
        var times = new double[15];
        for (int i = 0; i < times.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            model.Classify(pixels);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        return times[times.Length / 2];
    }
}
