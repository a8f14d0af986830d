using Google.Protobuf;
using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.Export;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;
using CastingDefects.ML.Training.Models.Applications;
using CastingDefects.ML.Training.Models.Weights;

namespace CastingDefects.ML.Training.Anomaly;

/// <summary>
/// PaDiM's feature extractor, built from the library's layers: [0, 1] images, ImageNet preprocessing, the pretrained
/// ResNet18's stem and first three stages, and their outputs brought to the second stage's grid (1/8 of the input:
/// stage 1 average-pooled 2x2, stage 3 repeated 2x2) and concatenated: 64 + 128 + 256 = 448 channels per position.
/// It exists to be exported: features are computed by ONNX Runtime, in the same graph that is deployed.
/// </summary>
internal sealed class PadimBackbone : IDisposable
{
    private readonly Functional _network;
    private readonly TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> _module;

    public PadimBackbone(CastingImageOptions image, string onnxPath, int neighbourhood)
    {
        var weights = PretrainedResNet18.ReadWeights(onnxPath);
        var input = Functional.Input((image.Channels, image.Height, image.Width));
        var bgr = Rescaling.CaffeImageNet(image.Channels, PretrainedResNet18.Mean).WithName("imagenet_preprocessing").Call(input);
        var stages = ResNet18.Stages(bgr, PretrainedResNet18.BlocksPerStage(weights), 3);
        var first = new AveragePooling2D(2).WithName("stage1_to_grid").Call(stages[0]);
        var third = new UpSampling2D(2).WithName("stage3_to_grid").Call(stages[2]);
        var embedding = new Concatenate().WithName("embedding").Call(first, stages[1], third);
        if (neighbourhood > 1) // PatchCore's locally aware features: each position averages its k x k neighbourhood
            embedding = new AveragePooling2D(neighbourhood, strides: 1, padding: Padding.Same).WithName("neighbourhood").Call(embedding);
        _network = new Functional(input, embedding, "padim-resnet18");
        _module = _network.Build(_network.InputShape);
        var missing = StateDict.Load(_network, _module, weights);
        if (missing.Count > 0)
            throw new InvalidDataException($"The ResNet18 ONNX file '{onnxPath}' lacks {missing.Count} weights of the first three stages, e.g. '{missing[0]}'.");
        Image = image;
        FeatureShape = embedding.Shape;
    }

    /// <summary>The input images.</summary>
    public CastingImageOptions Image { get; }

    /// <summary>Channels and grid of the embedding (448 x H/8 x W/8).</summary>
    public TensorShape FeatureShape { get; }

    /// <summary>Declares the graph input and appends the extractor; returns the embedding's value name.</summary>
    public string Export(OnnxGraphBuilder graph)
    {
        graph.Input(OnnxContract.InputName, Image.Channels, Image.Height, Image.Width);
        _module.eval();
        return _network.ExportOnnx(graph, OnnxContract.InputName, _network.InputShape, _module);
    }

    /// <summary>The extractor alone as an ONNX model (output: the embedding, float [N, 448, H/8, W/8]).</summary>
    public byte[] ToOnnx()
    {
        var graph = new OnnxGraphBuilder();
        string embedding = Export(graph);
        graph.Node("Identity", [embedding], EmbeddingName);
        graph.Output(EmbeddingName, FeatureShape.Channels, FeatureShape.Height, FeatureShape.Width);
        return graph.Build(new Dictionary<string, string>(), "PaDiM feature extractor (ResNet18 stages 1-3)").ToByteArray();
    }

    /// <summary>Name of the embedding output of <see cref="ToOnnx"/>.</summary>
    public const string EmbeddingName = "onnx_embedding";

    public void Dispose() => _module.Dispose();
}
