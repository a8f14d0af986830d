namespace CastingDefects.ML.Serving.Api;

/// <summary>The JSON of one image's prediction (<c>POST /api/predict</c>).</summary>
/// <param name="File">The image's name.</param>
/// <param name="Verdict">"OK" or "NG" (binary model), or the predicted class.</param>
/// <param name="Probability">Probability of a defect (binary), or of the predicted class.</param>
/// <param name="Threshold">The binary model's threshold on <paramref name="Probability"/>; null for a multiclass model.</param>
/// <param name="Probabilities">Every class's probability (multiclass); null for a binary model.</param>
/// <param name="ModelId">Id of the model that answered (SHA-256 prefix of its file).</param>
/// <param name="ModelVersion">Its version: 1 at start, one more per hot swap.</param>
/// <param name="Milliseconds">Decode, preprocessing and network time of this image.</param>
/// <param name="Heatmap">Where the model looks, when asked for (<c>?heatmap=true</c>) and the model computes it.</param>
public sealed record PredictionResponse(string File, string Verdict, float Probability, float? Threshold,
    IReadOnlyDictionary<string, float>? Probabilities, string ModelId, int ModelVersion, double Milliseconds, HeatmapResponse? Heatmap);

/// <summary>A heatmap in a prediction: the map at the model's input size as a PNG to lay over the image.</summary>
/// <param name="Width">Map width (the model's input width).</param>
/// <param name="Height">Map height.</param>
/// <param name="PeakX">Column of its maximum.</param>
/// <param name="PeakY">Row of its maximum.</param>
/// <param name="Png">The map as a <c>data:image/png;base64,…</c> URL, coloured blue to red, transparent where low. It
/// covers the image fitted into the input's aspect ratio and centred (CSS <c>object-fit: contain</c>), as the model saw it.</param>
public sealed record HeatmapResponse(int Width, int Height, int PeakX, int PeakY, string Png);

/// <summary>The JSON of a request with several images: one result each, in the order sent.</summary>
/// <param name="Results">The predictions.</param>
/// <param name="Milliseconds">Time of the whole request.</param>
public sealed record BatchPredictionResponse(IReadOnlyList<PredictionResponse> Results, double Milliseconds);
