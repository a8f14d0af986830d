using CastingDefects.ML.Inference;

namespace CastingDefects.ML.Serving.Hosting;

/// <summary>One image's prediction by the serving model, with the model that made it and how long it took.</summary>
/// <param name="Result">The verdict, probabilities and (when asked for) heatmap.</param>
/// <param name="Model">The model that made it (a hot swap during a request never mixes two models in one result).</param>
/// <param name="Milliseconds">Decode, preprocessing and network time.</param>
public sealed record ServedPrediction(ImageClassification Result, CastingModelInfo Model, double Milliseconds);
