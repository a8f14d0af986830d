using System.IO.Compression;

namespace CastingDefects.ML.Inference;

/// <summary>
/// The ONNX network ML.NET's ONNX transformer stores in a model .zip: an entry named <c>…/OnnxModel</c> holding a
/// 4-byte length and then the network's bytes.
/// </summary>
internal static class SavedOnnxNetwork
{
    /// <summary>The entries of <paramref name="zip"/> that hold a stored ONNX network.</summary>
    public static List<ZipArchiveEntry> Entries(ZipArchive zip) =>
        zip.Entries.Where(e => e.FullName.EndsWith("/OnnxModel", StringComparison.Ordinal)).ToList();

    /// <summary>The network of <paramref name="entry"/>, or null when it is empty or cut short (<paramref name="storedBytes"/> says how much the entry held).</summary>
    public static byte[]? Read(ZipArchiveEntry entry, out int storedBytes)
    {
        using var buffer = new MemoryStream();
        using (var s = entry.Open()) s.CopyTo(buffer);
        byte[] content = buffer.ToArray();
        storedBytes = content.Length;
        int length = content.Length >= 4 ? BitConverter.ToInt32(content, 0) : 0;
        return length <= 0 || length > content.Length - 4 ? null : content.AsSpan(4, length).ToArray();
    }
}
