using System.Text;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Layers;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Transfer;

/// <summary>
/// Bottleneck features on disk, one file per backbone in the workspace folder, keyed by a hash of each image's
/// preprocessed pixels: a second run (another split, more epochs, a new head) reuses every feature already computed.
/// Records are appended and flushed batch by batch, so an interrupted extraction keeps what it finished; a partly
/// written last record is ignored on the next read.
/// </summary>
internal sealed class BottleneckCache
{
    private const string Magic = "CDMLFEAT";
    private readonly Dictionary<string, float[]> _entries = new(StringComparer.Ordinal);

    public BottleneckCache(string workspace, string backboneId, int dimension)
    {
        Directory.CreateDirectory(workspace);
        Dimension = dimension;
        Path = System.IO.Path.Combine(workspace, $"features-{backboneId}.bin");
        if (File.Exists(Path)) Read();
    }

    public string Path { get; }

    public int Dimension { get; }

    public int Count => _entries.Count;

    public bool TryGet(string key, out float[] features) => _entries.TryGetValue(key, out features!);

    public void Append(IReadOnlyList<(string Key, float[] Features)> records)
    {
        bool fresh = !File.Exists(Path) || new FileInfo(Path).Length == 0;
        using var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
        using var writer = new BinaryWriter(stream, Encoding.ASCII, leaveOpen: true);
        if (fresh)
        {
            writer.Write(Encoding.ASCII.GetBytes(Magic));
            writer.Write(Dimension);
        }
        foreach (var (key, features) in records)
        {
            if (features.Length != Dimension) throw new ArgumentException($"Expected {Dimension} features, got {features.Length}.", nameof(records));
            writer.Write(Encoding.ASCII.GetBytes(key));
            writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(features.AsSpan()));
            _entries[key] = features;
        }
        writer.Flush();
        stream.Flush(flushToDisk: true);
    }

    /// <summary>
    /// The features of every sample of <paramref name="data"/> (shape <paramref name="shape"/>, <see cref="Dimension"/>
    /// values): from the cache, or computed by <paramref name="forward"/> (in inference mode, without gradients) in
    /// batches and appended batch by batch. <paramref name="computed"/> counts the samples computed in this call.
    /// </summary>
    public ImageTensorData Features(ImageTensorData data, TensorShape shape, Func<Tensor, Tensor> forward, int batchSize,
        CancellationToken cancellation, IProgress<(int Done, int Total)>? progress, out int computed)
    {
        if (shape.Size != Dimension) throw new ArgumentException($"{shape} holds {shape.Size} values, the cache {Dimension}.", nameof(shape));
        var values = new float[(long)data.Count * Dimension];
        var todo = new List<(int Index, string Key)>();
        for (int i = 0; i < data.Count; i++)
        {
            string key = data.SampleHash(i);
            if (TryGet(key, out var f)) f.CopyTo(values, (long)i * Dimension);
            else todo.Add((i, key));
        }
        int batch = Math.Max(8, batchSize);
        using (no_grad())
        {
            for (int start = 0; start < todo.Count; start += batch)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var chunk = todo.Skip(start).Take(batch).ToList();
                float[] flat = forward(data.Batch(chunk.Select(c => c.Index).ToArray()).Features).contiguous().data<float>().ToArray();
                var records = new List<(string, float[])>(chunk.Count);
                for (int k = 0; k < chunk.Count; k++)
                {
                    var f = flat.AsSpan(k * Dimension, Dimension).ToArray();
                    f.CopyTo(values, (long)chunk[k].Index * Dimension);
                    records.Add((chunk[k].Key, f));
                }
                Append(records);
                progress?.Report((Math.Min(start + batch, todo.Count), todo.Count));
            }
        }
        computed = todo.Count;
        return ImageTensorData.FromFeatures(shape, values, [.. data.Labels], data.Paths);
    }

    private void Read()
    {
        using var stream = File.OpenRead(Path);
        using var reader = new BinaryReader(stream, Encoding.ASCII);
        if (stream.Length < 12) return;
        string magic = Encoding.ASCII.GetString(reader.ReadBytes(8));
        int dimension = reader.ReadInt32();
        if (magic != Magic || dimension != Dimension)
            throw new InvalidDataException($"Feature cache '{Path}' is not a cache of {Dimension}-value features (magic '{magic}', dimension {dimension}); delete it or choose another workspace.");
        int record = 32 + 4 * Dimension;
        var buffer = new byte[record];
        while (stream.Length - stream.Position >= record)
        {
            stream.ReadExactly(buffer);
            string key = Encoding.ASCII.GetString(buffer, 0, 32);
            var features = new float[Dimension];
            Buffer.BlockCopy(buffer, 32, features, 0, 4 * Dimension);
            _entries[key] = features;
        }
        if (stream.Position != stream.Length) // an interrupted append: drop the partial record so appends stay aligned
        {
            long valid = stream.Position;
            stream.Dispose();
            using var truncate = new FileStream(Path, FileMode.Open, FileAccess.Write);
            truncate.SetLength(valid);
        }
    }
}
