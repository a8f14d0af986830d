using System.Diagnostics;
using System.Security.Cryptography;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Synthetic;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SkiaSharp;

namespace CastingDefects.ML.Serving.Hosting;

/// <summary>
/// The thread-safe predictor of a service: one model file, run by ONNX Runtime (no libtorch), shared by every request,
/// and swapped for the new one when the file is replaced (what ML.NET users know from <c>PredictionEnginePool</c>
/// with <c>watchForChanges</c>). Each loaded model must pass a self-test prediction first; a file that does not load
/// or fails it is refused, logged, and the previous model keeps serving. Register it with
/// <see cref="CastingModelServiceCollectionExtensions.AddCastingModel(Microsoft.Extensions.DependencyInjection.IServiceCollection, string, Action{CastingModelOptions})"/>.
/// </summary>
public sealed class CastingModelPredictor : IDisposable
{
    private readonly CastingModelOptions _options;
    private readonly ILogger _logger;
    private readonly string _path;
    private readonly object _reloadLock = new();
    private readonly FileSystemWatcher? _watcher;
    private readonly Timer? _poll;
    private Timer? _debounce;
    private LoadedModel _current;
    private (long Length, DateTime WriteTime) _refused; // the file state last refused: not read again until it changes
    private bool _disposed;

    /// <summary>Loads <see cref="CastingModelOptions.ModelPath"/>; a missing or invalid file, or a failed self-test, throws naming it.</summary>
    public CastingModelPredictor(CastingModelOptions options, ILogger<CastingModelPredictor>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ModelPath)) throw new ArgumentException("The model path is empty.", nameof(options));
        _options = options;
        _logger = logger ?? NullLogger<CastingModelPredictor>.Instance;
        _path = Path.GetFullPath(options.ModelPath);
        _current = Load(version: 1);
        _logger.LogInformation("Serving model {File} (id {Id}, {Architecture}, {Width}x{Height})", _current.Info.File, _current.Info.Id, _current.Info.Architecture, _current.Info.Width, _current.Info.Height);
        if (!options.ReloadOnChange) return;
        string directory = Path.GetDirectoryName(_path)!;
        try
        {
            _watcher = new FileSystemWatcher(directory, Path.GetFileName(_path))
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            _watcher.Changed += (_, _) => ScheduleReload();
            _watcher.Created += (_, _) => ScheduleReload();
            _watcher.Renamed += (_, _) => ScheduleReload();
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
        {
            _logger.LogWarning("No file notifications for {Directory} ({Message}); checking every {Interval}", directory, e.Message, options.PollInterval);
        }
        _poll = new Timer(_ => { if (FileChanged()) TryReload(); }, null, options.PollInterval, options.PollInterval);
    }

    /// <summary>The model serving now.</summary>
    public CastingModelInfo Model => Volatile.Read(ref _current).Info;

    /// <summary>Why the last replacement of the model file was refused (null when the last one loaded, or none came).</summary>
    public string? LastReloadError { get; private set; }

    /// <summary>Raised after a new model was swapped in.</summary>
    public event EventHandler<CastingModelInfo>? ModelChanged;

    /// <summary>Raised when a replaced model file was refused (the message says why); the old model keeps serving.</summary>
    public event EventHandler<string>? ReloadRefused;

    /// <summary>
    /// Classifies an encoded image (JPEG, PNG, BMP…); thread-safe. An image that is not one, is truncated, or whose
    /// header claims too many pixels throws <see cref="InvalidDataException"/> naming <paramref name="name"/>.
    /// </summary>
    public ServedPrediction Predict(ReadOnlyMemory<byte> image, string name, bool heatmap = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var model = Acquire();
        try
        {
            long start = Stopwatch.GetTimestamp();
            var result = model.Network.Classify(image, name, heatmap);
            return new ServedPrediction(result, model.Info, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        finally
        {
            model.Release();
        }
    }

    /// <summary>
    /// Checks the model file now and swaps in its new content when it changed and passes the self-test; returns true
    /// when a new model serves. (Changes are also picked up by themselves when <see cref="CastingModelOptions.ReloadOnChange"/>.)
    /// </summary>
    public bool TryReload()
    {
        lock (_reloadLock)
        {
            if (_disposed) return false;
            var old = _current;
            LoadedModel next;
            try
            {
                if (!File.Exists(_path)) throw new FileNotFoundException($"Model file '{_path}' is missing.");
                byte[] bytes = File.ReadAllBytes(_path);
                if (Id(bytes) == old.Info.Id) { LastReloadError = null; return false; }
                next = Load(old.Info.Version + 1, bytes);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or InvalidOperationException)
            {
                if (LastReloadError != e.Message)
                {
                    _logger.LogWarning("Refused the new model file, still serving {Id}: {Message}", old.Info.Id, e.Message);
                    ReloadRefused?.Invoke(this, e.Message);
                }
                LastReloadError = e.Message;
                try { var f = new FileInfo(_path); _refused = f.Exists ? (f.Length, f.LastWriteTimeUtc) : default; } catch (IOException) { }
                return false;
            }
            Volatile.Write(ref _current, next);
            old.Retire();
            LastReloadError = null;
            _logger.LogInformation("Swapped in model {Id} (version {Version}) for {Old}", next.Info.Id, next.Info.Version, old.Info.Id);
            ModelChanged?.Invoke(this, next.Info);
            return true;
        }
    }

    private LoadedModel Acquire()
    {
        while (true)
        {
            var model = Volatile.Read(ref _current);
            if (model.TryAcquire()) return model;
            // It was swapped out and disposed between the read and the acquire: the new one is current now.
        }
    }

    private bool FileChanged()
    {
        try
        {
            var file = new FileInfo(_path);
            var current = Volatile.Read(ref _current);
            return file.Exists && (file.Length != current.FileLength || file.LastWriteTimeUtc != current.FileWriteTimeUtc)
                && (file.Length, file.LastWriteTimeUtc) != _refused;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Notifications come in bursts while a file is written or renamed: reload once they have been quiet for 300 ms.</summary>
    private void ScheduleReload()
    {
        lock (_reloadLock)
        {
            if (_disposed) return;
            _debounce ??= new Timer(_ => TryReload());
            _debounce.Change(TimeSpan.FromMilliseconds(300), Timeout.InfiniteTimeSpan);
        }
    }

    private LoadedModel Load(int version, byte[]? bytes = null)
    {
        var file = new FileInfo(CastingDefects.ML.IO.InputFile.Require(_path));
        bytes ??= File.ReadAllBytes(_path);
        var network = CastingOnnxModel.Load(bytes, $"Model file '{_path}'", _options.IntraOpThreads);
        try
        {
            SelfTest(network, _path);
        }
        catch
        {
            network.Dispose();
            throw;
        }
        var image = network.Image;
        var info = new CastingModelInfo(Id(bytes), version, file.Name, network.Architecture, image.Width, image.Height,
            image.Channels, network.Threshold, network.Classes, network.HasHeatmap, DateTimeOffset.UtcNow);
        return new LoadedModel(network, info, file.Length, file.LastWriteTimeUtc);
    }

    /// <summary>The first 12 hexadecimal digits of the SHA-256 of the file.</summary>
    private static string Id(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes))[..12];

    /// <summary>
    /// A prediction on a synthetic casting, encoded as PNG and decoded as an upload is, must give a probability in
    /// [0, 1] (class probabilities summing to 1) and, for a model with a heatmap, a map of the input's size in [0, 1].
    /// </summary>
    internal static void SelfTest(CastingOnnxModel network, string path)
    {
        using var bitmap = SyntheticCastingGenerator.Render(seed: 7, index: 0, defective: true, Math.Max(network.Image.Width, network.Image.Height), 1f, out _);
        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        var result = network.Classify(png.ToArray(), "self-test image", heatmap: network.HasHeatmap);
        string? problem = null;
        if (!float.IsFinite(result.Probability) || result.Probability is < 0 or > 1) problem = $"probability {result.Probability}";
        else if (result.ClassProbabilities is { } all && Math.Abs(all.Values.Sum() - 1) > 1e-3) problem = $"class probabilities summing to {all.Values.Sum()}";
        else if (result.Heatmap is { } map && (map.Values.Length != network.Image.Width * network.Image.Height || map.Values.Any(v => !(v >= 0 && v <= 1))))
            problem = "a heatmap outside [0, 1]";
        if (problem is not null) throw new InvalidDataException($"Model file '{path}' failed the self-test prediction: {problem}.");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_reloadLock)
        {
            if (_disposed) return;
            _disposed = true;
        }
        _watcher?.Dispose();
        _poll?.Dispose();
        _debounce?.Dispose();
        _current.Retire();
    }
}
