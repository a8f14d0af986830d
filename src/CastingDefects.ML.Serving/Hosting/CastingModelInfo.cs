namespace CastingDefects.ML.Serving.Hosting;

/// <summary>Which model is serving: what the API returns with each prediction and on <c>/api/model</c>.</summary>
/// <param name="Id">The first 12 hexadecimal digits of the SHA-256 of the model file: the same file gives the same id anywhere.</param>
/// <param name="Version">1 for the model loaded at start, one more for each model swapped in since.</param>
/// <param name="File">The model file's name.</param>
/// <param name="Architecture">The architecture stored in the model.</param>
/// <param name="Width">Input width the model was trained on.</param>
/// <param name="Height">Input height.</param>
/// <param name="Channels">1 (gray) or 3 (colour).</param>
/// <param name="Threshold">Decision threshold on the defect probability (binary models).</param>
/// <param name="Classes">Class names of a multiclass model; empty for a binary (OK/NG) one.</param>
/// <param name="HasHeatmap">True when the model computes its own heatmap.</param>
/// <param name="LoadedAt">When it was loaded (UTC).</param>
public sealed record CastingModelInfo(string Id, int Version, string File, string Architecture, int Width, int Height,
    int Channels, float Threshold, IReadOnlyList<string> Classes, bool HasHeatmap, DateTimeOffset LoadedAt);
