using CastingDefects.ML.Data;

namespace CastingDefects.ML.Inference;

/// <summary>One image a <see cref="FolderWatcher"/> classified.</summary>
/// <param name="Path">Where the image was when it was read.</param>
/// <param name="Label">"OK", "NG", the class, or "ERROR".</param>
/// <param name="Probability">Defect probability (binary) or the class's; null for an error.</param>
/// <param name="Error">Why it could not be classified, or null.</param>
/// <param name="MovedTo">Where it was moved, when moving is on.</param>
public sealed record WatchedImage(string Path, string Label, float? Probability, string? Error, string? MovedTo);

/// <summary>
/// Classifies the images that land in a folder (a camera PC's output folder), each once: what is there at start, then
/// each new file once it is complete (its size and time unchanged for <see cref="FolderWatchOptions.SettleTime"/> and
/// its data decoding completely; a half-written image is never classified). Each result is appended to the results
/// file (flushed to disk) before the image is optionally moved into <c>OK/</c> or <c>NG/</c>; the results file is the
/// watcher's memory, so a restart (after Ctrl-C or a crash) repeats and loses nothing.
/// </summary>
public sealed class FolderWatcher
{
    private readonly CastingOnnxModel _model;
    private readonly FolderWatchOptions _options;
    private readonly string _folder;
    private readonly WatchResultsFile _results;
    private readonly Dictionary<string, (long Length, DateTime Modified, DateTime Since)> _pending = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    /// <summary>Opens (or creates) the results file; a torn last row left by a crash is removed.</summary>
    public FolderWatcher(CastingOnnxModel model, FolderWatchOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Folder)) throw new ArgumentException("The folder to watch is empty.", nameof(options));
        _folder = System.IO.Path.GetFullPath(options.Folder);
        if (!Directory.Exists(_folder)) throw new DirectoryNotFoundException($"Folder to watch '{_folder}' does not exist.");
        _model = model;
        _options = options;
        _time = time ?? TimeProvider.System;
        _results = new WatchResultsFile(options.ResultsPath ?? System.IO.Path.Combine(_folder, "predictions.csv"));
    }

    /// <summary>The results file.</summary>
    public string ResultsPath => _results.Path;

    /// <summary>Images recorded in the results file (from earlier runs too).</summary>
    public int Recorded => _results.Count;

    /// <summary>Raised after each image was recorded (and moved).</summary>
    public event EventHandler<WatchedImage>? Classified;

    /// <summary>
    /// Watches until <paramref name="cancellationToken"/> is cancelled (Ctrl-C): scans at start, on every file system
    /// notification and every <see cref="FolderWatchOptions.PollInterval"/>. Cancellation stops between two images,
    /// never between recording one and moving it.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var wake = new SemaphoreSlim(0);
        using var watcher = new FileSystemWatcher(_folder) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
        void Wake(object? sender, FileSystemEventArgs e) { if (wake.CurrentCount == 0) wake.Release(); }
        watcher.Created += Wake;
        watcher.Changed += Wake;
        watcher.Renamed += (s, e) => Wake(s, e);
        watcher.EnableRaisingEvents = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            ProcessPending(cancellationToken);
            try
            {
                await wake.WaitAsync(_options.PollInterval, cancellationToken);
                // Notifications come while a file is still being written: the settle time decides when it is read.
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>One scan: classifies every image that is complete now; returns how many were recorded.</summary>
    public int ProcessPending(CancellationToken cancellationToken = default)
    {
        int recorded = 0;
        var now = _time.GetUtcNow().UtcDateTime;
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(_folder).Where(ImageProbe.HasImageExtension).Order(StringComparer.Ordinal))
        {
            if (cancellationToken.IsCancellationRequested) break;
            if (path.IndexOfAny(['\r', '\n']) >= 0) continue; // cannot be a row of the results file
            present.Add(path);
            FileInfo file;
            try
            {
                file = new FileInfo(path);
                if (!file.Exists) continue;
            }
            catch (IOException) { continue; }
            long length = file.Length;
            var modified = file.LastWriteTimeUtc;
            if (_results.LabelOf(path, length, modified) is { } recordedLabel)
            {
                // Recorded before a crash that came before the move: finish the move, do not classify again.
                if (_options.MoveToVerdictFolders) Move(path, recordedLabel);
                continue;
            }
            if (!_pending.TryGetValue(path, out var seen) || seen.Length != length || seen.Modified != modified)
            {
                _pending[path] = (length, modified, now);
                if (_options.SettleTime > TimeSpan.Zero) continue;
                seen = _pending[path];
            }
            if (now - seen.Since < _options.SettleTime) continue;
            if (Classify(path, length, modified, now - seen.Since) is not { } image) continue;
            _pending.Remove(path);
            recorded++;
            Classified?.Invoke(this, image);
        }
        foreach (var gone in _pending.Keys.Where(p => !present.Contains(p)).ToList()) _pending.Remove(gone);
        return recorded;
    }

    /// <summary>Reads, classifies, records and moves one settled file; null when it must wait (still incomplete, locked, changed).</summary>
    private WatchedImage? Classify(string path, long length, DateTime modified, TimeSpan unchangedFor)
    {
        byte[] bytes;
        try
        {
            // Shared read only: on Windows a writer that still holds the file makes this fail, and it is tried later.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length != length) return null;
            bytes = new byte[length];
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        string label;
        float? probability = null;
        string? error = null;
        try
        {
            var result = _model.Classify(bytes, path);
            label = result.Verdict;
            probability = result.Probability;
        }
        catch (InvalidDataException e)
        {
            if (unchangedFor < _options.IncompleteTimeout) return null; // a writer may still complete it
            label = "ERROR";
            error = e.Message;
        }
        _results.Append(path, label, probability, length, modified);
        string? movedTo = _options.MoveToVerdictFolders ? Move(path, label) : null;
        return new WatchedImage(path, label, probability, error, movedTo);
    }

    /// <summary>Moves into the verdict's subfolder, never over an existing file (a second "a.jpg" becomes "a (2).jpg").</summary>
    private string Move(string path, string label)
    {
        string folder = System.IO.Path.Combine(_folder, string.Concat(label.Select(c => System.IO.Path.GetInvalidFileNameChars().Contains(c) ? '_' : c)));
        Directory.CreateDirectory(folder);
        string name = System.IO.Path.GetFileNameWithoutExtension(path), extension = System.IO.Path.GetExtension(path);
        for (int n = 1; ; n++)
        {
            string target = System.IO.Path.Combine(folder, n == 1 ? name + extension : $"{name} ({n}){extension}");
            if (File.Exists(target)) continue;
            try
            {
                File.Move(path, target, overwrite: false);
                return target;
            }
            catch (IOException) when (File.Exists(target))
            {
                // taken between the check and the move: try the next name
            }
        }
    }
}
