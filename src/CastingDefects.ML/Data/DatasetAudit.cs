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

    /// <summary>
    /// Pairs that are not byte-identical but look the same (thumbnails within <see cref="DatasetAudit.NearDuplicateDistance"/>
    /// gray levels: re-encoded, resized or slightly brightened copies), within the folder and across to the other folder.
    /// </summary>
    public IReadOnlyList<(string Path, string Other, int Distance)> NearDuplicates { get; init; } = [];

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
        sb.AppendLine($"  near-duplicate pairs: {NearDuplicates.Count}");
        foreach (var (a, b, d) in NearDuplicates.Take(20)) sb.AppendLine($"    {a}  ~  {b}  (mean difference {d})");
        return sb.ToString();
    }
}

/// <summary>Checks a folder dataset for problems before training: counts, unreadable files, sizes, duplicates, leakage.</summary>
public static class DatasetAudit
{
    /// <summary>Largest mean absolute difference (0-255 gray levels) between brightness-normalised 32x32 thumbnails that counts as a near-duplicate.</summary>
    public const int NearDuplicateDistance = 2;

    /// <summary>Audits <paramref name="folder"/> and, when given, its overlap with <paramref name="against"/>.</summary>
    public static DatasetAuditReport Run(string folder, string? against = null)
    {
        var options = new ImageFolderOptions { Warning = null };
        var dataset = ImageFolderDataset.Scan(folder, options);
        var probes = dataset.Images.AsParallel().AsOrdered().Select(i => ImageProbe.Probe(i.Path, decodeFully: false)).ToList();
        var hashes = Hash(dataset.Images.Select(i => i.Path).ToList());
        var within = hashes.GroupBy(h => h.Hash).Where(g => g.Count() > 1).Select(g => (IReadOnlyList<string>)g.Select(x => x.Path).ToList()).ToList();
        var cross = new List<(string, string)>();
        var otherPaths = new List<string>();
        if (against is not null)
        {
            var other = ImageFolderDataset.Scan(against, options);
            otherPaths = other.Images.Select(i => i.Path).ToList();
            var otherHashes = Hash(otherPaths).ToLookup(h => h.Hash, h => h.Path);
            foreach (var (path, hash) in hashes)
                foreach (var o in otherHashes[hash]) cross.Add((path, o));
        }
        var exact = new HashSet<(string, string)>(cross);
        foreach (var g in within) foreach (var a in g) foreach (var b in g) exact.Add((a, b));
        var near = NearDuplicatePairs(dataset.Images.Select(i => i.Path).Concat(otherPaths).ToList(), exact);
        return new DatasetAuditReport
        {
            Root = dataset.Root,
            Classes = dataset.CountByClass(),
            Unreadable = dataset.Skipped,
            Sizes = probes.GroupBy(p => $"{p.Width}x{p.Height}").ToDictionary(g => g.Key, g => g.Count()),
            Channels = probes.GroupBy(p => p.Channels.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToDictionary(g => g.Key, g => g.Count()),
            DuplicatesWithin = within,
            CrossDuplicates = cross,
            NearDuplicates = near,
        };
    }

    /// <summary>
    /// A 32x32 gray thumbnail with its mean brightness removed (offset to 128): re-encoded, resized or uniformly
    /// brightened copies of an image give nearly the same thumbnail.
    /// </summary>
    public static byte[] Thumbnail(string path)
    {
        using var stream = File.OpenRead(path);
        using var codec = SkiaSharp.SKCodec.Create(stream) ?? throw new InvalidDataException($"'{path}' is not a decodable image.");
        // Full decode (every format the same way), then an area-averaging downscale.
        using var full = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(codec.Info.Width, codec.Info.Height, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Premul));
        if (codec.GetPixels(full.Info, full.GetPixels()) is not (SkiaSharp.SKCodecResult.Success or SkiaSharp.SKCodecResult.IncompleteInput))
            throw new InvalidDataException($"'{path}' cannot be decoded.");
        using var thumb = full.Resize(new SkiaSharp.SKImageInfo(32, 32, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Premul), SkiaSharp.SKFilterQuality.High);
        var gray = new int[32 * 32];
        for (int i = 0; i < gray.Length; i++)
        {
            var c = thumb.GetPixel(i % 32, i / 32);
            gray[i] = (c.Red * 299 + c.Green * 587 + c.Blue * 114) / 1000;
        }
        int mean = (int)gray.Average();
        return gray.Select(g => (byte)Math.Clamp(g - mean + 128, 0, 255)).ToArray();
    }

    private static List<(string, string, int)> NearDuplicatePairs(List<string> paths, HashSet<(string, string)> exact)
    {
        var thumbs = paths.AsParallel().AsOrdered().Select(Thumbnail).ToArray();
        int limit = NearDuplicateDistance * 32 * 32;
        var pairs = new System.Collections.Concurrent.ConcurrentBag<(int, int, int)>();
        Parallel.For(0, thumbs.Length, i =>
        {
            for (int j = i + 1; j < thumbs.Length; j++)
            {
                int sum = 0;
                for (int k = 0; k < 1024 && sum <= limit; k += 64)
                    for (int m = k; m < k + 64; m++) sum += Math.Abs(thumbs[i][m] - thumbs[j][m]);
                if (sum <= limit && !exact.Contains((paths[i], paths[j])) && !exact.Contains((paths[j], paths[i])))
                    pairs.Add((i, j, (sum + 512) / 1024));
            }
        });
        return pairs.OrderBy(p => p.Item1).ThenBy(p => p.Item2).Select(p => (paths[p.Item1], paths[p.Item2], p.Item3)).ToList();
    }

    private static List<(string Path, string Hash)> Hash(List<string> paths) =>
        paths.AsParallel().AsOrdered().Select(p => (p, Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(p))))).ToList();
}
