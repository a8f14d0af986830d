using System.Collections;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Models.Weights;

/// <summary>
/// PyTorch state dicts as <c>torch.save(model.state_dict(), "weights.pth")</c> writes them (the zip format of
/// PyTorch 1.6 and later), read and written through TorchSharp.PyBridge. Keys and layouts are PyTorch's, as in
/// <see cref="StateDict"/> and <see cref="SafeTensors"/>: a torchvision <c>resnet18().state_dict()</c> saved in Python
/// loads into <c>--arch resnet18</c>. Floating-point tensors are read (as float32); integer buffers such as
/// <c>num_batches_tracked</c> are skipped.
/// </summary>
public static class PyTorchStateDict
{
    /// <summary>Reads the floating-point tensors of a .pt / .pth file.</summary>
    public static Dictionary<string, NamedTensor> Read(string path)
    {
        string full = CastingDefects.ML.IO.InputFile.Require(path);
        Hashtable table;
        try
        {
            using var stream = File.OpenRead(full);
            table = PyTorchUnpickler.UnpickleStateDict(stream);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not IOException)
        {
            throw new InvalidDataException($"'{full}' is not a PyTorch state dict saved with torch.save (zip format): {e.Message}", e);
        }
        var result = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is not string name || entry.Value is not Tensor tensor) continue;
            using (tensor)
            {
                if (!tensor.is_floating_point()) continue;
                using var values = tensor.to_type(ScalarType.Float32).contiguous();
                result[name] = new NamedTensor(tensor.shape, values.data<float>().ToArray());
            }
        }
        if (result.Count == 0) throw new InvalidDataException($"'{full}' holds no floating-point tensors: it is not a model's state dict.");
        return result;
    }

    /// <summary>Writes the tensors as a float32 PyTorch state dict that <c>torch.load</c> reads.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, NamedTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, t) in tensors) state[name] = tensor(t.Values, t.Shape);
            CastingDefects.ML.IO.AtomicFile.Write(path, stream => PyTorchPickler.PickleStateDict(stream, state, leaveOpen: true));
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    /// <summary>
    /// The weights of a file by its format: safetensors (<c>.safetensors</c>) or a PyTorch state dict (<c>.pt</c>,
    /// <c>.pth</c>, <c>.bin</c>, or any file that starts like a zip).
    /// </summary>
    public static Dictionary<string, NamedTensor> ReadWeightsFile(string path)
    {
        string full = CastingDefects.ML.IO.InputFile.Require(path);
        Span<byte> head = stackalloc byte[2];
        using (var f = File.OpenRead(full)) _ = f.Read(head);
        bool zip = head[0] == (byte)'P' && head[1] == (byte)'K';
        return zip ? Read(full) : SafeTensors.Read(full);
    }
}
