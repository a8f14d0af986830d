using System.Diagnostics;
using System.Text.Json;
using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Testing;
using CastingDefects.ML.Training.Search;
using Microsoft.ML;
using Xunit;

namespace CastingDefects.ML.Training.Tests;

/// <summary>The time-budgeted model search: leaderboard, winner, budget, cancellation, and <c>train --time-budget</c>.</summary>
public sealed class ModelSearchTests
{
    private static readonly SearchCandidate[] Small =
    [
        new("paper-64", false, 64, false),
        new("paper-64-aug", false, 64, true),
        new("paper-56", false, 56, false),
    ];

    private static (MLContext, IDataView Train, IDataView Validation, ImageFolderDataset ValidationPart) Data(TempDir dir)
    {
        var dataset = ImageFolderDataset.Scan(EasyImages.Write(dir.Combine("data"), 40, seed: 3));
        var (train, validation) = dataset.StratifiedSplit(0.25, 1);
        var ml = new MLContext(1);
        return (ml, train.ToDataView(ml), validation.ToDataView(ml), validation);
    }

    [Fact]
    public void A_search_ranks_its_trials_on_validation_and_returns_the_leader_fitted()
    {
        using var dir = new TempDir();
        var (ml, train, validation, validationPart) = Data(dir);
        var progress = new List<SearchProgress>();
        var budget = TimeSpan.FromSeconds(30);
        var clock = Stopwatch.StartNew();
        using var result = CastingModelSearch.Run(ml, train, 2, new CastingModelSearchOptions
        {
            TimeBudget = budget, ValidationSet = validation, Candidates = Small, MaxEpochs = 8, BatchSize = 16, Seed = 5,
            Progress = new InlineProgress<SearchProgress>(progress.Add),
        });
        clock.Stop();

        Assert.False(result.Cancelled);
        // Each candidate once in the first rung (all fit in 60 % of 30 s with 8 epochs), best first.
        Assert.Equal(Small.Select(c => c.Name).Order(), result.Leaderboard.Select(t => t.Candidate.Name).Where(n => !n.Contains('+')).Order());
        Assert.Equal(result.Leaderboard.OrderByDescending(t => t.Rank).Select(t => t.Candidate.Name), result.Leaderboard.Select(t => t.Candidate.Name));
        Assert.Same(result.Leaderboard[0], result.Best);
        Assert.True(result.Best.ValidationAccuracy >= 0.9, $"best validation accuracy {result.Best.ValidationAccuracy}");
        Assert.All(result.Leaderboard, t => Assert.Equal(5_577, t.Parameters));
        Assert.All(result.Leaderboard, t => Assert.True(t.MillisecondsPerImage > 0));
        // Progress: a start and an end per trial, in order.
        Assert.Equal(2 * result.Leaderboard.Count, progress.Count);
        Assert.All(progress.Where((_, i) => i % 2 == 0), p => Assert.Null(p.Finished));
        // The winner is returned fitted: its ML.NET model and its ONNX network give the accuracy the leaderboard says.
        var probabilities = BinaryScores.Read(result.Model.Transform(validation)).Probabilities;
        var labels = validationPart.Images.Select(i => i.IsDefect).ToArray();
        Assert.Equal(result.Best.ValidationAccuracy, CastingDefects.ML.Evaluation.BinaryMetrics.Compute(labels, probabilities, result.Threshold).Accuracy, 6);
        using var onnx = new CastingOnnxModel(result.OnnxModel, 1);
        Assert.Equal(result.Best.Candidate.ImageSize, onnx.Image.Width);
        Assert.Equal(result.Threshold, onnx.Threshold);
        // The budget is kept (generous bound: a slow machine still ends its last epoch).
        Assert.True(clock.Elapsed < budget * 1.5, $"{clock.Elapsed.TotalSeconds:F0} s for a {budget.TotalSeconds:F0} s budget");
    }

    [Fact]
    public void Cancelling_keeps_the_best_model_so_far()
    {
        using var dir = new TempDir();
        var (ml, train, validation, _) = Data(dir);
        using var cancel = new CancellationTokenSource();
        using var result = CastingModelSearch.Run(ml, train, 2, new CastingModelSearchOptions
        {
            TimeBudget = TimeSpan.FromMinutes(5), ValidationSet = validation, Candidates = Small, MaxEpochs = 4, BatchSize = 16,
            CancellationToken = cancel.Token,
            Progress = new InlineProgress<SearchProgress>(p => { if (p.Finished is not null) cancel.Cancel(); }), // Ctrl-C after the first trial
        });
        Assert.True(result.Cancelled);
        Assert.Single(result.Leaderboard);
        Assert.Equal("paper-64", result.Best.Candidate.Name);
        Assert.Equal(4, result.Best.Epochs);
        Assert.Equal(validation.GetRowCount() ?? 20, BinaryScores.Read(result.Model.Transform(validation)).Count);
    }

    [Fact]
    public void A_time_share_stops_a_trial_that_is_still_improving_and_says_so()
    {
        using var dir = new TempDir();
        var (ml, train, validation, _) = Data(dir);
        using var result = CastingModelSearch.Run(ml, train, 2, new CastingModelSearchOptions
        {
            // 70 % of 12 s for one candidate allowed 100,000 epochs and no early stop: the share, not the epochs or the
            // validation curve, ends it on any machine; the other 30 % (less decoding and scoring) leave room for the
            // second rung on a slower machine too.
            TimeBudget = TimeSpan.FromSeconds(12), ValidationSet = validation, Candidates = [Small[0]], MaxEpochs = 100_000, BatchSize = 16,
            EarlyStoppingPatience = 100_000,
        });
        var first = result.Leaderboard.First(t => t.Candidate.Name == "paper-64");
        Assert.Equal(TrialStatus.StoppedByBudget, first.Status);
        Assert.InRange(first.Epochs, 1, 99_999);
        // The rest of the budget resumed it from its last epoch: its epochs continue the first run's count.
        var more = result.Leaderboard.Single(t => t.Candidate.Name == "paper-64+more-time");
        Assert.True(more.Epochs > first.Epochs, $"{more.Epochs} epochs after resuming from {first.Epochs}");
    }

    [Fact]
    public void The_second_rung_goes_only_to_the_better_half_of_the_first()
    {
        using var dir = new TempDir();
        var (ml, train, validation, _) = Data(dir);
        // Four candidates, none of which can converge (100,000 epochs, no early stop): each first-rung trial is stopped
        // by its share, so each could use more time; successive halving gives it to the better two only. 40 s leave
        // the second rung its 30 % even where scoring and exporting each trial take seconds.
        using var result = CastingModelSearch.Run(ml, train, 2, new CastingModelSearchOptions
        {
            TimeBudget = TimeSpan.FromSeconds(40), ValidationSet = validation, Candidates = [.. Small, new("paper-60", false, 60, false)],
            MaxEpochs = 100_000, EarlyStoppingPatience = 100_000, BatchSize = 16,
        });
        var firstRung = result.Leaderboard.Where(t => !t.Candidate.Name.Contains('+')).ToList(); // best first
        Assert.Equal(4, firstRung.Count);
        Assert.All(firstRung, t => Assert.Equal(TrialStatus.StoppedByBudget, t.Status));
        var extended = result.Leaderboard.Where(t => t.Candidate.Name.EndsWith("+more-time", StringComparison.Ordinal))
            .Select(t => t.Candidate.Name[..^"+more-time".Length]).ToList();
        Assert.InRange(extended.Count, 1, 2);
        Assert.All(extended, name => Assert.Contains(name, firstRung.Take(2).Select(t => t.Candidate.Name)));
    }

    [Fact]
    public void Train_with_a_time_budget_saves_the_winner_and_its_leaderboard()
    {
        using var dir = new TempDir();
        string data = EasyImages.Write(dir.Combine("data"), 30, seed: 4);
        string model = dir.Combine("out", "m.zip");
        var (code, stdout, stderr) = CliProcess.Run("train", "--data", data, "--out", model, "--time-budget", "45s", "--json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var search = json.RootElement.GetProperty("search");
        var rows = search.GetProperty("leaderboard").EnumerateArray().ToList();
        Assert.True(rows.Count >= 2, $"{rows.Count} trials");
        Assert.Single(rows, r => r.GetProperty("winner").GetBoolean());
        Assert.Equal(search.GetProperty("winner").GetString(), rows[0].GetProperty("candidate").GetString());
        using var saved = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(model, ".leaderboard.json")));
        Assert.Equal(rows.Count, saved.RootElement.GetArrayLength());
        using var onnx = CastingOnnxModel.Load(model);
        Assert.Equal(rows[0].GetProperty("image_size").GetInt32(), onnx.Image.Width);
        Assert.True(json.RootElement.GetProperty("test_accuracy").GetDouble() >= 0.8);

        var (refused, _, error) = CliProcess.Run("train", "--data", data, "--out", dir.Combine("x.zip"), "--time-budget", "45s", "--image-size", "96");
        Assert.Equal(1, refused);
        Assert.Contains("--image-size: not with --time-budget", error);
        (refused, _, error) = CliProcess.Run("train", "--data", data, "--out", dir.Combine("x.zip"), "--time-budget", "ten minutes");
        Assert.Equal(1, refused);
        Assert.Contains("--time-budget 'ten minutes' is not a duration", error);
    }

    [Fact]
    public void The_portfolio_follows_the_data_size_balance_and_classes()
    {
        var large = SearchCandidate.Portfolio(512, classes: 2, defectShare: 0.5);
        Assert.Equal(["resnet18-transfer-224", "resnet18-finetune-224", "paper-128-aug", "paper-128", "paper-192-aug"], large.Select(c => c.Name));
        var fineTune = large.Single(c => c.FineTune);
        Assert.True(fineTune.Transfer);
        Assert.Equal(5, fineTune.Share); // the expensive, strong candidate gets five shares of the first rung
        Assert.DoesNotContain(large, c => c.BalancedClassWeights);

        var imbalanced = SearchCandidate.Portfolio(150, classes: 2, defectShare: 0.25); // 1:3, small images
        var weighted = Assert.Single(imbalanced, c => c.BalancedClassWeights);
        Assert.Equal("resnet18-transfer-224-balanced", weighted.Name);
        Assert.DoesNotContain(imbalanced, c => c.ImageSize == 192); // 150 px images carry no detail at 192
        Assert.Contains(SearchCandidate.Portfolio(300, 2, 0.8), c => c.BalancedClassWeights); // few good images count too
        Assert.DoesNotContain(SearchCandidate.Portfolio(300, classes: 6, defectShare: 1.0 / 6), c => c.BalancedClassWeights);
        // Under 20 minutes the paper CNN without augmentation and at 192 px are left out: their share could not train them.
        var tenMinutes = SearchCandidate.Portfolio(512, classes: 2, defectShare: 0.5, TimeSpan.FromMinutes(10));
        Assert.Equal(["resnet18-transfer-224", "resnet18-finetune-224", "paper-128-aug"], tenMinutes.Select(c => c.Name));
        Assert.Equal(large.Select(c => c.Name), SearchCandidate.Portfolio(512, 2, 0.5, TimeSpan.FromMinutes(20)).Select(c => c.Name));
        // What a short budget leaves out waits as reserves for time left over; a roomy budget has none.
        Assert.Equal(["paper-128", "paper-192-aug"], SearchCandidate.Reserves(512, TimeSpan.FromMinutes(10)).Select(c => c.Name));
        Assert.Equal(["paper-128"], SearchCandidate.Reserves(150, TimeSpan.FromMinutes(10)).Select(c => c.Name));
        Assert.Empty(SearchCandidate.Reserves(512, TimeSpan.FromMinutes(20)));
        Assert.Empty(SearchCandidate.Reserves(512, null));
    }

    /// <summary>
    /// When every trial ends early (here capped at 2 epochs) the reserves get the time left, in order; a reserve that
    /// would get less than a tenth of the budget is not started.
    /// </summary>
    [Fact]
    public void Time_left_over_goes_to_the_reserves()
    {
        using var dir = new TempDir();
        var (ml, train, validation, _) = Data(dir);
        using var result = CastingModelSearch.Run(ml, train, 2, new CastingModelSearchOptions
        {
            TimeBudget = TimeSpan.FromSeconds(40), ValidationSet = validation, MaxEpochs = 2, BatchSize = 16, Seed = 5,
            Candidates = [new("paper-56", false, 56, false)], Reserves = [new("paper-64-aug", false, 64, true)],
        });
        Assert.Equal(["paper-56", "paper-64-aug"], result.Leaderboard.Select(t => t.Candidate.Name).Order(StringComparer.Ordinal));
        Assert.All(result.Leaderboard, t => Assert.Equal(2, t.Epochs));

        using var none = CastingModelSearch.Run(ml, train, 2, new CastingModelSearchOptions
        {
            TimeBudget = TimeSpan.FromSeconds(40), ValidationSet = validation, MaxEpochs = 2, BatchSize = 16, Seed = 5,
            Candidates = [new("paper-56", false, 56, false)], Reserves = Enumerable.Range(0, 12).Select(i => new SearchCandidate($"paper-64-{i}", false, 64, false)).ToList(),
        });
        Assert.Equal(["paper-56"], none.Leaderboard.Select(t => t.Candidate.Name)); // 12 reserves: under 4 s each
    }

    [Fact]
    public void Candidates_the_search_cannot_run_are_refused_by_name_before_training()
    {
        using var dir = new TempDir();
        var (ml, train, validation, _) = Data(dir);
        var weighted = new CastingModelSearchOptions { ValidationSet = validation, Candidates = [new("paper-64-balanced", false, 64, false, BalancedClassWeights: true)] };
        var e = Assert.Throws<ArgumentException>(() => CastingModelSearch.Run(ml, train, classes: 3, weighted));
        Assert.Contains("'paper-64-balanced'", e.Message);
        var noTime = new CastingModelSearchOptions { ValidationSet = validation, Candidates = [new("paper-64", false, 64, false, Share: 0)] };
        e = Assert.Throws<ArgumentException>(() => CastingModelSearch.Run(ml, train, classes: 2, noTime));
        Assert.Contains("'paper-64'", e.Message);
    }

    [Theory]
    [InlineData(new[] { 0.9, 0.7, 0.6, 0.5 }, true)]   // best at the last epoch
    [InlineData(new[] { 0.9, 0.5, 0.4, 0.45 }, true)]  // best one epoch before the end
    [InlineData(new[] { 0.9, 0.4, 0.5, 0.6 }, false)]  // best long before the end: converged
    [InlineData(new[] { 0.5 }, false)]                 // one epoch says nothing
    public void History_says_whether_validation_loss_was_still_falling_at_the_end(double[] valLosses, bool stillImproving)
    {
        var history = new CastingDefects.ML.Training.Fitting.History();
        for (int i = 0; i < valLosses.Length; i++) history.Epochs.Add(new CastingDefects.ML.Training.Fitting.EpochLog(i + 1, 1, 0.5, valLosses[i], 0.5, 1e-3, 1));
        Assert.Equal(stillImproving, history.StillImproving);
    }

    [Fact]
    public void Train_warns_when_its_epochs_ran_out_while_validation_loss_was_still_falling()
    {
        using var dir = new TempDir();
        string data = EasyImages.Write(dir.Combine("data"), 20, seed: 6);
        var (code, stdout, stderr) = CliProcess.Run("train", "--data", data, "--out", dir.Combine("m.zip"), "--image-size", "64", "--epochs", "2", "--json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.True(json.RootElement.GetProperty("still_improving").GetBoolean()); // with two epochs the best is always one of the last two
        Assert.Contains("the run was too short; train longer (--epochs 4) or let the search choose (--time-budget 10m)", stderr);
    }

    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
