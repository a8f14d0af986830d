using System.IO.Compression;
using System.Text.Json;
using CastingDefects.ML.IO;
using CastingDefects.ML.Training.Models;
using CastingDefects.ML.Training.Models.Applications;

namespace CastingDefects.Cli;

/// <summary>
/// The trainable network beside a saved model (NAME.network.zip, written by <c>train</c>): what <c>prune</c> needs and
/// the ONNX inside the model lacks (BatchNormalization is folded there). It holds the architecture by name and the
/// TorchSharp weights.
/// </summary>
internal static class NetworkFile
{
    /// <summary>How to rebuild the network: the <c>train</c> options it was built from.</summary>
    public sealed record Spec(string Architecture, bool Grayscale, int ImageSize, int Classes, HeadKind Head, bool Transfer);

    /// <summary>The network file of a model file.</summary>
    public static string PathFor(string modelPath) => Path.ChangeExtension(modelPath, ".network.zip");

    /// <summary>Writes the spec and the weights (for <see cref="ML.IO.AtomicFile"/>).</summary>
    public static void Write(Stream stream, Spec spec, Sequential network)
    {
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        using (var json = zip.CreateEntry("network.json").Open()) JsonSerializer.Serialize(json, spec);
        using var weights = zip.CreateEntry("weights.bin", CompressionLevel.Fastest).Open();
        network.SaveWeights(weights);
    }

    /// <summary>Rebuilds the network of <paramref name="modelPath"/>; a clear error names what is missing or damaged.</summary>
    public static (Sequential Network, Spec Spec) Read(string modelPath)
    {
        string path = PathFor(modelPath);
        if (!File.Exists(path))
            throw new FileNotFoundException($"'{path}' does not exist: prune needs the trainable network that train writes beside the model (NAME.network.zip). " +
                "Models trained with --zca, by an earlier version or through the library have none: train again with the CLI.", path);
        try
        {
            using var zip = ZipFile.OpenRead(path);
            Spec spec;
            using (var json = (zip.GetEntry("network.json") ?? throw new InvalidDataException("no network.json")).Open())
                spec = JsonSerializer.Deserialize<Spec>(json) ?? throw new InvalidDataException("empty network.json");
            var network = spec.Transfer
                ? PretrainedResNet18.Create(spec.Grayscale, spec.ImageSize, spec.Head, spec.Classes)
                : CastingArchitectures.Create(spec.Architecture, spec.Grayscale, spec.ImageSize, spec.Classes, spec.Classes == 2 ? spec.Head : null);
            try
            {
                using var weights = (zip.GetEntry("weights.bin") ?? throw new InvalidDataException("no weights.bin")).Open();
                network.LoadWeights(weights);
            }
            catch
            {
                network.Dispose();
                throw;
            }
            return (network, spec);
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or EndOfStreamException or ArgumentException or IOException && e is not FileNotFoundException)
        {
            throw new InvalidDataException($"Network file '{path}' is damaged or does not fit its architecture: {e.Message}", e);
        }
    }
}
