using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CastingDefects.ML.Training.Export;
using CastingDefects.ML.IO;
using CastingDefects.ML.Training.Models;

namespace CastingDefects.ML.Training.Fitting;

/// <summary>
/// A training checkpoint: one .zip holding the weights, the optimizer state and a JSON record of the epoch, the
/// history and the callbacks' counters. Written to a temporary file and renamed, so a process killed mid-write
/// leaves the previous checkpoint intact.
/// </summary>
public static class Checkpoint
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes a checkpoint atomically.</summary>
    internal static void Save(string path, Sequential model, TorchSharp.Modules.OptimizerHelper optimizer, CheckpointState state)
    {
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            using (var weights = zip.CreateEntry("weights.bin", CompressionLevel.Fastest).Open())
                Models.Weights.ModuleWeights.Save(model, weights);
            using (var optim = new BinaryWriter(zip.CreateEntry("optimizer.bin", CompressionLevel.Fastest).Open()))
                optimizer.save_state_dict(optim);
            using var json = zip.CreateEntry("state.json").Open();
            JsonSerializer.Serialize(json, state, Json);
        });
    }

    /// <summary>Reads the state record of a checkpoint; throws <see cref="InvalidDataException"/> naming the file when it is damaged.</summary>
    public static CheckpointState ReadState(string path) => Open(path, zip =>
    {
        using var json = Entry(zip, path, "state.json").Open();
        return JsonSerializer.Deserialize<CheckpointState>(json, Json) ?? throw new InvalidDataException("empty state.json");
    });

    /// <summary>Loads the weights of a checkpoint into <paramref name="model"/>.</summary>
    public static void LoadWeights(string path, Sequential model) => Open<object?>(path, zip =>
    {
        using var weights = Entry(zip, path, "weights.bin").Open();
        Models.Weights.ModuleWeights.Load(model, weights);
        return null;
    });

    internal static void LoadOptimizer(string path, TorchSharp.Modules.OptimizerHelper optimizer) => Open<object?>(path, zip =>
    {
        using var buffer = new MemoryStream();
        using (var s = Entry(zip, path, "optimizer.bin").Open()) s.CopyTo(buffer);
        buffer.Position = 0;
        using var reader = new BinaryReader(buffer);
        optimizer.load_state_dict(reader);
        return null;
    });

    private static T Open<T>(string path, Func<ZipArchive, T> read)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"Checkpoint '{full}' does not exist.", full);
        try
        {
            using var zip = ZipFile.OpenRead(full);
            return read(zip);
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or EndOfStreamException or ArgumentException or IOException && e is not FileNotFoundException)
        {
            throw new InvalidDataException($"Checkpoint '{full}' is damaged or not a CastingDefects.ML checkpoint: {e.Message}", e);
        }
    }

    private static ZipArchiveEntry Entry(ZipArchive zip, string path, string name) =>
        zip.GetEntry(name) ?? throw new InvalidDataException($"Checkpoint '{path}' has no {name}.");
}

/// <summary>What a checkpoint records besides tensors.</summary>
public sealed class CheckpointState
{
    /// <summary>Model name.</summary>
    public string Model { get; set; } = "";
    /// <summary>Epochs completed.</summary>
    public int Epoch { get; set; }
    /// <summary>Learning rate after the epoch.</summary>
    public double LearningRate { get; set; }
    /// <summary>Best validation loss so far.</summary>
    public double BestValLoss { get; set; } = double.NaN;
    /// <summary>Epoch of <see cref="BestValLoss"/>.</summary>
    public int BestEpoch { get; set; }
    /// <summary>Logs of the completed epochs.</summary>
    public List<EpochLog> History { get; set; } = new();
    /// <summary>Callback counters, by callback index.</summary>
    public List<Dictionary<string, double>> Callbacks { get; set; } = new();
}
