using System.Globalization;
using System.Text;
using CastingDefects.ML.Data;
using CastingDefects.ML.Training.Search;

namespace CastingDefects.Cli;

/// <summary><c>train --time-budget</c>: the budget's syntax and how the search's progress and leaderboard are shown.</summary>
internal static class SearchBudget
{
    /// <summary>"10m", "90s", "1h", "1h30m", or seconds ("600").</summary>
    public static TimeSpan Parse(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double plain)) return Check(TimeSpan.FromSeconds(plain), text);
        var total = TimeSpan.Zero;
        int start = 0;
        bool any = false;
        for (int i = 0; i < t.Length; i++)
        {
            if (char.IsDigit(t[i]) || t[i] == '.') continue;
            if (!double.TryParse(t.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out double value)) return Invalid(text);
            total += t[i] switch
            {
                'h' => TimeSpan.FromHours(value),
                'm' => TimeSpan.FromMinutes(value),
                's' => TimeSpan.FromSeconds(value),
                _ => Invalid(text),
            };
            start = i + 1;
            any = true;
        }
        return any && start == t.Length ? Check(total, text) : Invalid(text);
    }

    private static TimeSpan Check(TimeSpan budget, string text) =>
        budget >= TimeSpan.FromSeconds(10) && budget <= TimeSpan.FromDays(2) ? budget
            : throw new ArgumentException($"--time-budget '{text}': between 10s and 48h.");

    private static TimeSpan Invalid(string text) =>
        throw new ArgumentException($"--time-budget '{text}' is not a duration: write e.g. 10m, 90s, 1h30m or a number of seconds.");

    /// <summary>The median of the shorter sides of up to 50 of the images (headers only).</summary>
    public static int MedianShorterSide(ImageFolderDataset dataset)
    {
        var sides = dataset.Images.Where((_, i) => i % Math.Max(1, dataset.Images.Count / 50) == 0).Take(50)
            .Select(i => ImageProbe.Probe(i.Path, decodeFully: false)).Where(p => p.IsReadable).Select(p => Math.Min(p.Width, p.Height)).Order().ToList();
        return sides.Count == 0 ? 300 : sides[sides.Count / 2];
    }

    public static string Describe(SearchProgress p) => p.Finished is not { } t
        ? $"trial {p.Candidate.Name}: starting ({Clock(p.TimeLeft)} left)"
        : t.Status == TrialStatus.Failed
            ? $"trial {p.Candidate.Name}: failed after {t.TrainSeconds:F0} s: {t.Error}"
            : string.Create(CultureInfo.InvariantCulture, $"trial {p.Candidate.Name}: val accuracy {t.ValidationAccuracy:P2}") +
              (t.ValidationAuc is { } auc ? string.Create(CultureInfo.InvariantCulture, $", AUC {auc:F4}, defect recall {t.ValidationDefectRecall:P2}") : "") +
              $", {t.Epochs} epochs in {t.TrainSeconds:F0} s ({(t.Status == TrialStatus.StoppedByBudget ? "stopped by its time share" : "converged")}); {Clock(p.TimeLeft)} left";

    private static string Clock(TimeSpan t) => t <= TimeSpan.Zero ? "0:00" : $"{(int)t.TotalMinutes}:{t.Seconds:D2}";

    /// <summary>The leaderboard as a text table.</summary>
    public static string Table(SearchResult search)
    {
        var sb = new StringBuilder();
        sb.AppendLine(search.Cancelled ? "leaderboard (search cancelled: the best model so far is kept)" : "leaderboard (ranked on the validation images)");
        sb.AppendLine("  candidate                       input  params     epochs  val acc  val recall  val AUC  train s  ms/image  status");
        foreach (var t in search.Leaderboard)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"  {(t == search.Best ? "*" : " ")}{t.Candidate.Name,-30} {t.Candidate.ImageSize,5}  {t.Parameters,9:N0}  {t.Epochs,6}  {t.ValidationAccuracy,7:P2}  {(t.ValidationDefectRecall is { } r ? r.ToString("P2", CultureInfo.InvariantCulture) : "-"),10}  {(t.ValidationAuc is { } a ? a.ToString("F4", CultureInfo.InvariantCulture) : "-"),7}  {t.TrainSeconds,7:F0}  {t.MillisecondsPerImage,8:F2}  {t.StatusText}"));
        return sb.ToString();
    }


    /// <summary>The leaderboard as JSON rows.</summary>
    public static IReadOnlyList<object> Rows(SearchResult search) => search.Leaderboard.Select(t => (object)new
    {
        candidate = t.Candidate.Name, winner = t == search.Best, transfer = t.Candidate.Transfer, image_size = t.Candidate.ImageSize, augment = t.Candidate.Augment,
        fine_tune = t.Candidate.FineTune, balanced_class_weights = t.Candidate.BalancedClassWeights,
        status = t.Status.ToString(), parameters = t.Parameters, epochs = t.Epochs, val_accuracy = t.ValidationAccuracy,
        val_recall = t.ValidationDefectRecall, val_roc_auc = t.ValidationAuc, val_loss = double.IsNaN(t.ValidationLoss) ? (double?)null : t.ValidationLoss,
        train_seconds = t.TrainSeconds, ms_per_image = t.MillisecondsPerImage, error = t.Error,
    }).ToList();
}
