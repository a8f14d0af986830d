namespace CastingDefects.ML.Inference;

/// <summary>
/// Names shared by the ONNX graphs the library exports and the ML.NET pipelines that run them. A network takes
/// <see cref="InputName"/>, float [N, C, H, W] scaled to [0, 1], and returns three [N] outputs: the logit, the
/// probability of the defect class, and the decision at the threshold stored in the graph. An anomaly detector has the
/// same three outputs (its logit is the scaled distance to the threshold) plus the raw score and the anomaly map; a
/// classifier exported with its heatmap adds <see cref="HeatmapName"/>.
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

    /// <summary>Anomaly detector output: the raw anomaly score of each image (the anomaly map's maximum), float [N].</summary>
    public const string AnomalyScoreName = "onnx_anomaly_score";

    /// <summary>Anomaly detector output: the per-pixel anomaly map at the input size, float [N, 1, H, W].</summary>
    public const string AnomalyMapName = "onnx_anomaly_map";

    /// <summary>
    /// Classifier output (optional): the Grad-CAM heatmap of the predicted defect (binary) or class (multiclass) at the
    /// input size, each image's map scaled to a maximum of 1, float [N, 1, H, W].
    /// </summary>
    public const string HeatmapName = "onnx_heatmap";

    /// <summary>Metadata key: what the network does; absent for classifiers, <see cref="AnomalyTask"/> for anomaly detectors.</summary>
    public const string TaskKey = "castingdefects.task";

    /// <summary>Value of <see cref="TaskKey"/> for an anomaly detector trained on good images only.</summary>
    public const string AnomalyTask = "anomaly";

    /// <summary>Metadata key: an anomaly detector's threshold on the raw score (the logit is (score - threshold) / scale).</summary>
    public const string AnomalyThresholdKey = "castingdefects.anomaly.threshold";

    /// <summary>Metadata key: an anomaly detector's score scale (standard deviation of the good validation scores).</summary>
    public const string AnomalyScaleKey = "castingdefects.anomaly.scale";

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

    /// <summary>
    /// Metadata key: how the network was quantized; absent for a float network, <c>int8-qdq</c> for one written by
    /// <see cref="Quantization.OnnxQuantizer"/>.
    /// </summary>
    public const string QuantizationKey = "castingdefects.quantization";

    /// <summary>Metadata key: class names of a multiclass model, separated by '|', in output order.</summary>
    public const string ClassesKey = "castingdefects.classes";
}
