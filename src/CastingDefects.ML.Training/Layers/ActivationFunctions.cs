using CastingDefects.ML.Training.Export;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Layers;

/// <summary>Applies an <see cref="Activation"/> in TorchSharp and in ONNX.</summary>
internal static class ActivationFunctions
{
    public static Tensor Apply(Activation activation, Tensor x) => activation switch
    {
        Activation.Linear => x,
        Activation.ReLU => nn.functional.relu(x),
        Activation.ReLU6 => nn.functional.relu6(x),
        Activation.Sigmoid => nn.functional.sigmoid(x),
        Activation.Softmax => nn.functional.softmax(x, 1),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };

    public static string Export(OnnxGraphBuilder graph, Activation activation, string input) => activation switch
    {
        Activation.Linear => input,
        Activation.ReLU => graph.Node("Relu", [input]),
        Activation.ReLU6 => graph.Node("Clip", [input, graph.Initializer("relu6_min", [0f]), graph.Initializer("relu6_max", [6f])]),
        Activation.Sigmoid => graph.Node("Sigmoid", [input]),
        Activation.Softmax => graph.Node("Softmax", [input], null, OnnxGraphBuilder.Int("axis", 1)),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };

    public static string KerasName(Activation activation) => activation switch
    {
        Activation.Linear => "linear",
        Activation.ReLU => "relu",
        Activation.ReLU6 => "relu6",
        Activation.Sigmoid => "sigmoid",
        Activation.Softmax => "softmax",
        _ => activation.ToString(),
    };
}
