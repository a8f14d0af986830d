using System.Security.Cryptography;
using System.Text;

namespace CastingDefects.ML.Data;

/// <summary>Results of <see cref="DatasetAudit.Run"/>.</summary>
public sealed class DatasetAuditReport
{
    /// <summary>The audited folder.</summary>
    public string Root { get; init; } = "";
    /// <summary>Readable images per class folder.</summary>
    public IReadOnlyDictionary<string, int> Classes { get; init; } = new Dictionary<string, int>();
    /// <summary>Files that cannot be used, with the reason.</summary>
    public IReadOnlyList<SkippedFile> Unreadable { get; init; } = [];
    /// <summary>Count of images per "WxH".</summary>
    public IReadOnlyDictionary<string, int> Sizes { get; init; } = new Dictionary<string, int>();
    /// <summary>Count of images per channel count (1 gray, 3 color, 4 with alpha).</summary>
    public IReadOnlyDictionary<string, int> Channels { get; init; } = new Dictionary<string, int>();
    /// <summary>Groups of byte-identical files within the folder (each group lists 2+ paths).</summary>
    public IReadOnlyList<IReadOnlyList<string>> DuplicatesWithin { get; init; } = [];
    /// <summary>Byte-identical pairs between the folder and the <c>against</c> folder (leakage).</summary>
    public IReadOnlyList<(string Path, string Other)> CrossDuplicates { get; init; } = [];

    /// <summary>A readable text rendering.</summary>
    public string ToText()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"dataset {Root}");
        foreach (var (c, n) in Classes) sb.AppendLine($"  {c}: {n} images");
        sb.AppendLine($"  sizes: {string.Join(", ", Sizes.Select(kv => $"{kv.Key} x{kv.Value}"))}; channels: {string.Join(", ", Channels.Select(kv => $"{kv.Key} x{kv.Value}"))}");
        sb.AppendLine($"  unreadable: {Unreadable.Count}");
        foreach (var u in Unreadable) sb.AppendLine($"    {u.Path}: {u.Reason}");
        sb.AppendLine($"  duplicate groups within: {DuplicatesWithin.Count}");
        foreach (var g in DuplicatesWithin.Take(20)) sb.AppendLine($"    {string.Join("  ==  ", g)}");
        sb.AppendLine($"  duplicates shared with the other folder: {CrossDuplicates.Count}");
        foreach (var (a, b) in CrossDuplicates.Take(20)) sb.AppendLine($"    {a}  ==  {b}");
        return sb.ToString();
    }
}

/// <summary>Checks a folder dataset for problems before training: counts, unreadable files, sizes, duplicates, leakage.</summary>
public static class DatasetAudit
{
    /// <summary>Audits <paramref name="folder"/> and, when given, its overlap with <paramref name="against"/>.</summary>
    public static DatasetAuditReport Run(string folder, string? against = null)
    {
        var options = new ImageFolderOptions { Warning = null };
        var dataset = ImageFolderDataset.Scan(folder, options);
        var probes = dataset.Images.AsParallel().AsOrdered().Select(i => ImageProbe.Probe(i.Path, decodeFully: false)).ToList();
        var hashes = Hash(dataset.Images.Select(i => i.Path).ToList());
        var within = hashes.GroupBy(h => h.Hash).Where(g => g.Count() > 1).Select(g => (IReadOnlyList<string>)g.Select(x => x.Path).ToList()).ToList();
        var cross = new List<(string, string)>();
        if (against is not null)
        {
            var other = ImageFolderDataset.Scan(against, options);
            var otherHashes = Hash(other.Images.Select(i => i.Path).ToList()).ToLookup(h => h.Hash, h => h.Path);
            foreach (var (path, hash) in hashes)
                foreach (var o in otherHashes[hash]) cross.Add((path, o));
        }
        return new DatasetAuditReport
        {
            Root = dataset.Root,
            Classes = dataset.CountByClass(),
            Unreadable = dataset.Skipped,
            Sizes = probes.GroupBy(p => $"{p.Width}x{p.Height}").ToDictionary(g => g.Key, g => g.Count()),
            Channels = probes.GroupBy(p => p.Channels.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToDictionary(g => g.Key, g => g.Count()),
            DuplicatesWithin = within,
            CrossDuplicates = cross,
        };
    }

    private static List<(string Path, string Hash)> Hash(List<string> paths) =>
        paths.AsParallel().AsOrdered().Select(p => (p, Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(p))))).ToList();
}
