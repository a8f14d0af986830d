using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models.Weights;
using Onnx;

namespace CastingDefects.ML.Training.Models.Applications;

/// <summary>
/// The ImageNet-pretrained ResNet18 that ships, as ONNX, inside the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18
/// (copied to the output folder as <c>DnnImageModels/ResNet18Onnx/ResNet18.onnx</c>): the one pretrained backbone
/// available offline. Its weights are imported into <see cref="ResNet18"/>'s layers (torchvision names), so it can be
/// frozen for transfer learning or fine-tuned end to end, and exported back to ONNX.
/// </summary>
public static class PretrainedResNet18
{
    /// <summary>Path of the backbone relative to the application folder.</summary>
    public const string RelativePath = "DnnImageModels/ResNet18Onnx/ResNet18.onnx";

    /// <summary>Name of the environment variable that can point at the ONNX file instead.</summary>
    public const string EnvironmentVariable = "CASTING_DEFECTS_RESNET18_ONNX";

    /// <summary>
    /// Per-channel mean the network expects subtracted from 0..255 BGR pixels: the channel averages of the mean image
    /// in the package's ResNetPreprocess.onnx (B 103.06, G 115.90, R 123.15).
    /// </summary>
    public static (float B, float G, float R) Mean { get; } = (103.06262f, 115.902885f, 123.151634f);

    /// <summary>The ONNX file: <see cref="EnvironmentVariable"/>, next to the application, or in the NuGet package cache.</summary>
    public static string FindOnnxFile()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env) candidates.Add(env);
        candidates.Add(Path.Combine(AppContext.BaseDirectory, RelativePath));
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        candidates.Add(Path.Combine(packages, "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1", "tools", RelativePath));
        return candidates.FirstOrDefault(File.Exists) ?? throw new FileNotFoundException(
            $"The pretrained ResNet18 ONNX file was not found (looked in: {string.Join("; ", candidates)}). Reference the NuGet package " +
            $"Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 (it copies {RelativePath} to the output folder) or set {EnvironmentVariable}.");
    }

    /// <summary>
    /// The pretrained model for [0, 1] inputs: ImageNet preprocessing (a fixed <see cref="Rescaling"/>; a gray plane is
    /// repeated into B, G and R), the ResNet18 backbone with imported weights, global average pooling and a new head.
    /// Set <paramref name="freezeBackbone"/> for transfer learning (only the head trains).
    /// </summary>
    public static Sequential Create(bool grayscale, int imageSize, HeadKind head = HeadKind.Sigmoid1, int classes = 2,
        bool freezeBackbone = true, int seed = 0, string? onnxPath = null)
    {
        var weights = ReadWeights(onnxPath ?? FindOnnxFile());
        var backbone = ResNet18.Create(3, imageSize, imageSize, BlocksPerStage(weights));
        backbone.Trainable = !freezeBackbone;
        var model = new Sequential((grayscale ? 1 : 3, imageSize, imageSize), grayscale ? "resnet18-pretrained-gray" : "resnet18-pretrained")
            .Add(Rescaling.CaffeImageNet(grayscale ? 1 : 3, Mean).WithName("imagenet_preprocessing"))
            .Add(backbone)
            .GlobalAveragePooling2D();
        CastingArchitectures.AddHead(model, head, classes);
        model.Build(seed);
        var missing = StateDict.Load(model, weights);
        var backboneMissing = missing.Where(m => !m.StartsWith("dense", StringComparison.Ordinal)).ToList();
        if (backboneMissing.Count > 0)
            throw new InvalidDataException($"The ResNet18 ONNX file lacks {backboneMissing.Count} backbone weights, e.g. '{backboneMissing[0]}'.");
        return model;
    }

    /// <summary>
    /// Reads the backbone's weights from the ONNX file into a state dict with torchvision's names: the 7x7 convolution
    /// is conv1, each block's 3x3 convolutions are conv1 and conv2, its 1x1 convolution is downsample.0, and each
    /// BatchNormalization is named after the convolution it follows.
    /// </summary>
    public static Dictionary<string, NamedTensor> ReadWeights(string onnxPath)
    {
        string full = Path.GetFullPath(onnxPath);
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(full)); }
        catch (Exception e) when (e is Google.Protobuf.InvalidProtocolBufferException or IOException)
        {
            throw new InvalidDataException($"'{full}' is not a readable ONNX model: {e.Message}", e);
        }
        var graph = model.Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var convs = graph.Node.Where(n => n.OpType == "Conv").ToList();
        var batchNormByInput = graph.Node.Where(n => n.OpType == "BatchNormalization").ToDictionary(n => n.Input[0], StringComparer.Ordinal);
        var names = TorchvisionNames(convs.Select(c => initializers[c.Input[1]].Dims.ToArray()).ToList(), full);

        var result = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
        for (int i = 0; i < convs.Count; i++)
        {
            var conv = convs[i];
            string name = names[i];
            result[name + ".weight"] = Read(initializers[conv.Input[1]]);
            if (!batchNormByInput.TryGetValue(conv.Output[0], out var bn))
                throw new InvalidDataException($"'{full}': convolution {conv.Name} is not followed by BatchNormalization.");
            string bnName = name.EndsWith(".downsample.0", StringComparison.Ordinal) ? name[..^1] + "1" : name == "conv1" ? "bn1" : name.Replace(".conv", ".bn", StringComparison.Ordinal);
            result[bnName + ".weight"] = Read(initializers[bn.Input[1]]);
            result[bnName + ".bias"] = Read(initializers[bn.Input[2]]);
            result[bnName + ".running_mean"] = Read(initializers[bn.Input[3]]);
            result[bnName + ".running_var"] = Read(initializers[bn.Input[4]]);
        }
        return result;
    }

    /// <summary>Blocks per stage of ResNet weights with torchvision names ((2, 2, 2, 3) for the packaged model).</summary>
    internal static int[] BlocksPerStage(IReadOnlyDictionary<string, NamedTensor> weights) =>
        Enumerable.Range(1, 4).Select(stage => weights.Keys.Count(k => k.StartsWith($"layer{stage}.", StringComparison.Ordinal) && k.EndsWith(".conv1.weight", StringComparison.Ordinal))).ToArray();

    /// <summary>
    /// torchvision names for the convolutions in file order: conv1, then per block an optional 1x1 downsample.0
    /// (which starts a block) and two 3x3 convolutions; a stage ends when the width changes.
    /// </summary>
    private static List<string> TorchvisionNames(IReadOnlyList<long[]> shapes, string file)
    {
        if (shapes.Count == 0 || shapes[0][2] != 7) throw new InvalidDataException($"'{file}' does not start with ResNet's 7x7 convolution.");
        var names = new List<string> { "conv1" };
        int stage = -1, block = -1, threeByThree = 2;
        long width = -1;
        bool afterDownsample = false, blockHasDownsample = false;
        for (int i = 1; i < shapes.Count; i++)
        {
            var s = shapes[i];
            bool downsample = s[2] == 1;
            // torchvision's export order puts the downsample after conv2: then it belongs to the block just finished.
            bool lateDownsample = downsample && threeByThree == 2 && !blockHasDownsample && block == 0 && s[0] == width;
            if (!lateDownsample && (downsample || (!afterDownsample && threeByThree == 2)))
            {
                if (s[0] != width)
                {
                    stage++;
                    width = s[0];
                    block = -1;
                }
                if (stage > 3) throw new InvalidDataException($"'{file}' has more than four ResNet stages.");
                block++;
                threeByThree = 0;
                blockHasDownsample = false;
            }
            string prefix = $"layer{stage + 1}.{block}";
            names.Add(downsample ? prefix + ".downsample.0" : prefix + $".conv{++threeByThree}");
            blockHasDownsample |= downsample;
            afterDownsample = downsample && !lateDownsample;
        }
        return names;
    }

    private static NamedTensor Read(TensorProto t)
    {
        float[] values = t.FloatData.Count > 0
            ? t.FloatData.ToArray()
            : Enumerable.Range(0, t.RawData.Length / 4).Select(i => BitConverter.ToSingle(t.RawData.Span.Slice(i * 4, 4))).ToArray();
        return new NamedTensor(t.Dims.ToArray(), values);
    }
}
