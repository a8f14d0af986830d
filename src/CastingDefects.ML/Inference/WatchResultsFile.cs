using System.Globalization;
using System.Text;

namespace CastingDefects.ML.Inference;

/// <summary>
/// The results file of a watched folder, which is also its memory across restarts: CSV rows
/// <c>path,label,probability,bytes,modified</c>, each appended with one write and flushed to disk before the image is
/// moved. A row cut short by a crash is removed when the file is opened again, so that image is classified once more
/// (and recorded once); an image whose row is complete is never classified again.
/// </summary>
internal sealed class WatchResultsFile
{
    private const string Header = "path,label,probability,bytes,modified";
    private readonly Dictionary<string, string> _labels = new(StringComparer.Ordinal); // key -> label

    public WatchResultsFile(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        using var stream = new FileStream(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        int end = Array.LastIndexOf(bytes, (byte)'\n') + 1; // everything after the last line break is a torn row
        if (end != bytes.Length) stream.SetLength(end);
        string text = Encoding.UTF8.GetString(bytes, 0, end);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        if (lines.Count == 0)
        {
            stream.SetLength(0);
            stream.Write(Encoding.UTF8.GetBytes(Header + "\n"));
        }
        else if (lines[0] != Header)
            throw new InvalidDataException($"Results file '{Path}' is not a watch results file (its first line is not '{Header}'); choose another --out.");
        foreach (var line in lines.Skip(1))
        {
            var fields = SplitCsv(line);
            if (fields.Count == 5) _labels[Key(fields[0], fields[3], fields[4])] = fields[1];
        }
        stream.Flush(flushToDisk: true);
    }

    public string Path { get; }

    /// <summary>Rows recorded so far.</summary>
    public int Count => _labels.Count;

    /// <summary>The label recorded for this version of the file (path, length, modification time), or null when it has no row.</summary>
    public string? LabelOf(string path, long length, DateTime modifiedUtc) => _labels.GetValueOrDefault(Key(path, Bytes(length), Modified(modifiedUtc)));

    /// <summary>Appends one row with a single write and flushes it to disk.</summary>
    public void Append(string path, string label, float? probability, long length, DateTime modifiedUtc)
    {
        string line = string.Join(',', Quote(path), Quote(label),
            probability is { } p ? p.ToString("F6", CultureInfo.InvariantCulture) : "", Bytes(length), Modified(modifiedUtc)) + "\n";
        using (var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read))
        {
            stream.Write(Encoding.UTF8.GetBytes(line));
            stream.Flush(flushToDisk: true);
        }
        _labels[Key(path, Bytes(length), Modified(modifiedUtc))] = label;
    }

    private static string Key(string path, string bytes, string modified) => path + "\n" + bytes + "\n" + modified;
    private static string Bytes(long length) => length.ToString(CultureInfo.InvariantCulture);
    private static string Modified(DateTime utc) => utc.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    /// <summary>RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.</summary>
    private static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\r', '\n']) < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c != '"') current.Append(c);
                else if (i + 1 < line.Length && line[i + 1] == '"') { current.Append('"'); i++; }
                else quoted = false;
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(current.ToString()); current.Clear(); }
            else current.Append(c);
        }
        fields.Add(current.ToString());
        return fields;
    }
}
