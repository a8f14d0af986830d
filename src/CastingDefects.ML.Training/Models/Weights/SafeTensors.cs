using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CastingDefects.ML.IO;

namespace CastingDefects.ML.Training.Models.Weights;

/// <summary>
/// Reads and writes the safetensors format (an 8-byte little-endian header length, a JSON header, raw little-endian
/// data): what <c>safetensors.torch.save_file(model.state_dict(), path)</c> writes in Python. Reads F32, F16, BF16 and
/// F64 (converted to float32); writes F32. Integer entries (BatchNormalization's num_batches_tracked) are skipped.
/// </summary>
public static class SafeTensors
{
    /// <summary>Reads every floating-point tensor of the file.</summary>
    public static Dictionary<string, NamedTensor> Read(string path)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"Weights file '{full}' does not exist.", full);
        byte[] bytes = File.ReadAllBytes(full);
        try
        {
            if (bytes.Length < 8) throw new InvalidDataException("shorter than its 8-byte header length");
            long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
            if (headerLength <= 0 || 8 + headerLength > bytes.Length) throw new InvalidDataException($"header length {headerLength} does not fit a {bytes.Length}-byte file");
            var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength))!.AsObject();
            long dataStart = 8 + headerLength;
            var result = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
            foreach (var (name, node) in header)
            {
                if (name == "__metadata__" || node is null) continue;
                string dtype = node["dtype"]!.GetValue<string>();
                long[] shape = node["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                var offsets = node["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                long begin = dataStart + offsets[0], end = dataStart + offsets[1];
                if (begin < dataStart || end > bytes.Length || end < begin) throw new InvalidDataException($"tensor '{name}' lies outside the file (truncated?)");
                var span = bytes.AsSpan((int)begin, (int)(end - begin));
                long count = shape.Aggregate(1L, (a, b) => a * b);
                float[]? values = dtype switch
                {
                    "F32" => Convert(span, count, 4, s => BinaryPrimitives.ReadSingleLittleEndian(s)),
                    "F64" => Convert(span, count, 8, s => (float)BinaryPrimitives.ReadDoubleLittleEndian(s)),
                    "F16" => Convert(span, count, 2, s => (float)BinaryPrimitives.ReadHalfLittleEndian(s)),
                    "BF16" => Convert(span, count, 2, s => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(s) << 16)),
                    _ => null,
                };
                if (values is null) continue;
                if (values.Length != count) throw new InvalidDataException($"tensor '{name}' holds {values.Length} values for shape [{string.Join(", ", shape)}]");
                result[name] = new NamedTensor(shape, values);
            }
            return result;
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or NullReferenceException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"'{full}' is not a valid safetensors file: {e.Message}", e);
        }
    }

    /// <summary>Writes the tensors as F32, atomically.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 }) header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        long offset = 0;
        var ordered = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        foreach (var (name, t) in ordered)
        {
            long size = t.Values.LongLength * 4;
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + size),
            };
            offset += size;
        }
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padding = (8 - json.Length % 8) % 8; // keep the data 8-byte aligned, as the reference writer does
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(length, json.Length + padding);
            stream.Write(length);
            stream.Write(json);
            for (int i = 0; i < padding; i++) stream.WriteByte((byte)' ');
            foreach (var (_, t) in ordered)
            {
                var bytes = new byte[t.Values.Length * 4];
                Buffer.BlockCopy(t.Values, 0, bytes, 0, bytes.Length);
                if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Writing safetensors needs a little-endian machine.");
                stream.Write(bytes);
            }
        });
    }

    private delegate float Reader(ReadOnlySpan<byte> source);

    private static float[] Convert(ReadOnlySpan<byte> span, long count, int width, Reader read)
    {
        if (span.Length != count * width) throw new InvalidDataException($"{span.Length} bytes for {count} values of {width} bytes");
        var values = new float[count];
        for (int i = 0; i < values.Length; i++) values[i] = read(span.Slice(i * width, width));
        return values;
    }
}
