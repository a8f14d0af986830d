using System.Text;

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
