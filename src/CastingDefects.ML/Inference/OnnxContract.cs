namespace CastingDefects.ML.Inference;

/// <summary>
/// Names shared by the ONNX graphs the library exports and the ML.NET pipelines that run them. A network takes
/// <see cref="InputName"/>, float [N, C, H, W] scaled to [0, 1], and returns three [N] outputs: the logit, the
/// probability of the defect class, and the decision at the threshold stored in the graph.
/// </summary>
public static class OnnxContract
{
    /// <summary>Input tensor name (float [N, C, H, W]).</summary>
    public const string InputName = "Features";

    /// <summary>Output: logit of the defect class, float [N].</summary>
    public const string LogitName = "onnx_score";

    /// <summary>Output: probability of the defect class, float [N].</summary>
    public const string ProbabilityName = "onnx_probability";

    /// <summary>Output: 1 when the probability reaches the stored threshold, else 0; float [N].</summary>
    public const string DecisionName = "onnx_predicted";

    /// <summary>Multiclass output: class probabilities, float [N, K], in the order of <see cref="ClassesKey"/>.</summary>
    public const string ScoresName = "onnx_scores";

    /// <summary>Multiclass output: name of the most probable class, string [N].</summary>
    public const string ClassName = "onnx_class";

    /// <summary>Metadata key: architecture name (e.g. paper).</summary>
    public const string ArchitectureKey = "castingdefects.architecture";

    /// <summary>Metadata key: input width.</summary>
    public const string WidthKey = "castingdefects.width";

    /// <summary>Metadata key: input height.</summary>
    public const string HeightKey = "castingdefects.height";

    /// <summary>Metadata key: number of channels (1 or 3).</summary>
    public const string ChannelsKey = "castingdefects.channels";

    /// <summary>Metadata key: decision threshold on the probability.</summary>
    public const string ThresholdKey = "castingdefects.threshold";

    /// <summary>Metadata key: class names of a multiclass model, separated by '|', in output order.</summary>
    public const string ClassesKey = "castingdefects.classes";
}
