namespace CastingDefects.ML.Serving.Monitoring;

/// <summary>One result as the operator page lists it.</summary>
/// <param name="Time">When it was made (UTC).</param>
/// <param name="File">The image's name.</param>
/// <param name="Verdict">"OK", "NG" or the class.</param>
/// <param name="Probability">Defect probability (binary) or the class's.</param>
/// <param name="Milliseconds">Time of the prediction.</param>
public sealed record RecentResult(DateTimeOffset Time, string File, string Verdict, float Probability, double Milliseconds);

/// <summary>What the service has done since it started: counts per verdict, throughput, the latest results.</summary>
/// <param name="Images">Images classified.</param>
/// <param name="Verdicts">Images per verdict.</param>
/// <param name="ImagesPerSecond">Images per second over the last minute (or since the first image, if later).</param>
/// <param name="Latest">The latest results, newest first.</param>
public sealed record InspectionSummary(long Images, IReadOnlyDictionary<string, long> Verdicts, double ImagesPerSecond, IReadOnlyList<RecentResult> Latest);

/// <summary>Thread-safe running counts of a service's results, for the page's counters and list.</summary>
public sealed class InspectionStats(int keep = 50, TimeProvider? time = null)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly object _lock = new();
    private readonly Dictionary<string, long> _verdicts = new(StringComparer.Ordinal);
    private readonly LinkedList<RecentResult> _latest = new();
    private readonly Queue<DateTimeOffset> _window = new();
    private DateTimeOffset? _first;
    private long _images;

    /// <summary>Counts one result.</summary>
    public void Add(string file, string verdict, float probability, double milliseconds)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            _images++;
            _first ??= now;
            _verdicts[verdict] = _verdicts.GetValueOrDefault(verdict) + 1;
            _latest.AddFirst(new RecentResult(now, file, verdict, probability, milliseconds));
            while (_latest.Count > keep) _latest.RemoveLast();
            _window.Enqueue(now);
            Trim(now);
        }
    }

    /// <summary>A consistent copy of the counts.</summary>
    public InspectionSummary Snapshot()
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            Trim(now);
            double seconds = _first is { } first ? Math.Min(Window.TotalSeconds, Math.Max(1, (now - first).TotalSeconds)) : 1;
            return new InspectionSummary(_images, new Dictionary<string, long>(_verdicts), _window.Count / seconds, _latest.ToList());
        }
    }

    private void Trim(DateTimeOffset now)
    {
        while (_window.Count > 0 && now - _window.Peek() > Window) _window.Dequeue();
    }
}
