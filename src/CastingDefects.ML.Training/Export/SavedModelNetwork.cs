using System.Buffers.Binary;
using System.IO.Compression;
using CastingDefects.ML.IO;

namespace CastingDefects.ML.Training.Export;

/// <summary>
/// The ONNX network inside a saved model: a model .zip (ML.NET stores it as a 4-byte little-endian length and the
/// bytes) or a bare .onnx file. Copies a model with its network rewritten, atomically, everything else as it was.
/// </summary>
public static class SavedModelNetwork
{
    /// <summary>
    /// Copies <paramref name="modelPath"/> to <paramref name="outputPath"/> with its ONNX network replaced by
    /// <paramref name="onnx"/>, which must take the same input and give the same outputs (a pruned or retrained network
    /// of the same task). Both paths may be the same file.
    /// </summary>
    public static void Replace(string modelPath, byte[] onnx, string outputPath)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        Rewrite(modelPath, _ => onnx, outputPath);
    }

    /// <summary>Copies the model with its network passed through <paramref name="update"/> (given the ONNX bytes and the model's full path).</summary>
    internal static void Rewrite(string modelPath, Func<byte[], byte[]> update, string outputPath)
    {
        string full = InputFile.Require(modelPath);
        byte[] bytes = File.ReadAllBytes(full);
        if (full.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            byte[] updated = update(bytes);
            AtomicFile.Write(outputPath, s => s.Write(updated));
            return;
        }
        try
        {
            using var source = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
            var onnxEntries = source.Entries.Where(e => e.FullName.EndsWith("/OnnxModel", StringComparison.Ordinal)).ToList();
            if (onnxEntries.Count != 1) throw new InvalidDataException($"'{full}' holds {onnxEntries.Count} ONNX networks; expected the one of a casting model.");
            AtomicFile.Write(outputPath, stream =>
            {
                using var target = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
                foreach (var entry in source.Entries)
                {
                    using var input = entry.Open();
                    using var buffer = new MemoryStream();
                    input.CopyTo(buffer);
                    byte[] content = buffer.ToArray();
                    if (entry == onnxEntries[0])
                    {
                        int length = BinaryPrimitives.ReadInt32LittleEndian(content);
                        byte[] network = update(content.AsSpan(4, length).ToArray());
                        content = new byte[4 + network.Length];
                        BinaryPrimitives.WriteInt32LittleEndian(content, network.Length);
                        network.CopyTo(content, 4);
                    }
                    var copy = target.CreateEntry(entry.FullName, CompressionLevel.Optimal);
                    copy.LastWriteTime = entry.LastWriteTime;
                    using var output = copy.Open();
                    output.Write(content);
                }
            });
        }
        catch (InvalidDataException e) when (!e.Message.Contains(full, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"'{full}' is not a readable model: {e.Message}", e);
        }
    }
}
