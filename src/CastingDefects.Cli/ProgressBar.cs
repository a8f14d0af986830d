using CastingDefects.ML.Training.Fitting;

namespace CastingDefects.Cli;

/// <summary>A one-line progress bar on the terminal: epoch, batches, loss, ETA.</summary>
internal sealed class ProgressBar : IProgress<TrainingProgress>
{
    private DateTime _last = DateTime.MinValue;

    public void Report(TrainingProgress p)
    {
        if (p.Batch != p.Batches && DateTime.UtcNow - _last < TimeSpan.FromMilliseconds(200)) return;
        _last = DateTime.UtcNow;
        const int width = 30;
        int filled = p.Batches == 0 ? 0 : width * p.Batch / p.Batches;
        var eta = p.EpochRemaining;
        Console.Write($"\repoch {p.Epoch}/{p.Epochs} [{new string('#', filled)}{new string('.', width - filled)}] {p.Batch}/{p.Batches} loss {p.Loss:F4} ETA {eta:mm\\:ss}   ");
    }

    public void Clear() => Console.Write("\r" + new string(' ', 100) + "\r");
}
