namespace CastingDefects.ML.Inference;

/// <summary>
/// What a model says about one image, for either kind of model: a binary (OK/NG) model gives <see cref="Verdict"/>
/// "OK" or "NG", the defect probability and its threshold; a multiclass model gives the most probable class, its
/// probability and every class's (<see cref="ClassProbabilities"/>).
/// </summary>
/// <param name="Verdict">"OK" or "NG" (binary), or the predicted class name (multiclass).</param>
/// <param name="Probability">Probability of a defect (binary), or of the predicted class (multiclass).</param>
/// <param name="Threshold">The binary model's decision threshold on <paramref name="Probability"/>; null for a multiclass model.</param>
/// <param name="ClassProbabilities">Every class's probability in the model's order (multiclass); null for a binary model.</param>
/// <param name="Heatmap">Where the model sees the defect or class, when asked for and the model computes it.</param>
public sealed record ImageClassification(string Verdict, float Probability, float? Threshold,
    IReadOnlyDictionary<string, float>? ClassProbabilities, DefectHeatmap? Heatmap);
