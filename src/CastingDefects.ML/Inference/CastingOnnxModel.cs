using System.Globalization;
using CastingDefects.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace CastingDefects.ML.Inference;

/// <summary>
/// A network exported by the library (see <see cref="OnnxContract"/>), run by ONNX Runtime directly: no ML.NET
/// pipeline, no libtorch. Input size, channels and threshold come from the model's metadata. Thread-safe.
/// </summary>
public sealed class CastingOnnxModel : IDisposable
{
    private readonly InferenceSession _session;

    /// <summary>Loads the model from ONNX bytes; <paramref name="intraOpThreads"/> null lets ONNX Runtime choose.</summary>
    public CastingOnnxModel(byte[] model, int? intraOpThreads = null, string source = "ONNX model")
    {
        ArgumentNullException.ThrowIfNull(model);
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (intraOpThreads is { } t) { options.IntraOpNumThreads = t; options.InterOpNumThreads = 1; }
        try
        {
            _session = new InferenceSession(model, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{source} is not a valid ONNX model: {e.Message}", e);
        }
        var meta = _session.ModelMetadata.CustomMetadataMap;
        int Get(string key) => meta.TryGetValue(key, out var v) && int.TryParse(v, CultureInfo.InvariantCulture, out int i)
            ? i : throw new InvalidDataException($"{source} has no '{key}' metadata: it was not exported by CastingDefects.ML.");
        int channels = Get(OnnxContract.ChannelsKey);
        Image = new CastingImageOptions { Width = Get(OnnxContract.WidthKey), Height = Get(OnnxContract.HeightKey), Grayscale = channels == 1 };
        Threshold = meta.TryGetValue(OnnxContract.ThresholdKey, out var th) ? float.Parse(th, CultureInfo.InvariantCulture) : 0.5f;
        Architecture = meta.TryGetValue(OnnxContract.ArchitectureKey, out var a) ? a : "unknown";
    }

    /// <summary>Loads an .onnx file; a missing, truncated or foreign file fails with a message naming it.</summary>
    public static CastingOnnxModel Load(string path, int? intraOpThreads = null)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"Model file '{full}' does not exist.", full);
        return new CastingOnnxModel(File.ReadAllBytes(full), intraOpThreads, $"Model file '{full}'");
    }

    /// <summary>Input size and channels the network was trained on.</summary>
    public CastingImageOptions Image { get; }

    /// <summary>Decision threshold stored in the model.</summary>
    public float Threshold { get; }

    /// <summary>Architecture name stored in the model.</summary>
    public string Architecture { get; }

    /// <summary>
    /// Defect probabilities of <paramref name="count"/> preprocessed images laid out [N, C, H, W]. Input of another
    /// size or channel count is refused with both shapes in the message.
    /// </summary>
    public float[] PredictProbabilities(float[] pixels, int count)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        long expected = (long)count * Image.FeatureLength;
        if (count <= 0 || pixels.LongLength != expected)
            throw new ArgumentException(
                $"The model takes images of {Image.Channels}x{Image.Height}x{Image.Width} ({Image.FeatureLength} values each); got {pixels.LongLength} values for {count} image(s).",
                nameof(pixels));
        var input = new DenseTensor<float>(pixels, [count, Image.Channels, Image.Height, Image.Width]);
        using var results = _session.Run([NamedOnnxValue.CreateFromTensor(OnnxContract.InputName, input)], [OnnxContract.ProbabilityName]);
        return results[0].AsEnumerable<float>().ToArray();
    }

    /// <summary>Decodes, preprocesses and classifies one image file.</summary>
    public CastingVerdict Predict(string imagePath)
    {
        var probe = ImageProbe.Probe(imagePath, decodeFully: false);
        if (!probe.IsReadable) throw new InvalidDataException($"'{imagePath}': {probe.Error}");
        float p = PredictProbabilities(CastingImagePreprocessor.Load(imagePath, Image), 1)[0];
        return new CastingVerdict { Probability = p, Score = MathF.Log(p / (1 - p)), PredictedLabel = p >= Threshold };
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}
