namespace CastingDefects.ML.Training.Pruning;

/// <summary>Output channels of one layer that makes channels (Conv2D, Dense, SeparableConv2D), before and after pruning.</summary>
/// <param name="Name">Layer name.</param>
/// <param name="Before">Channels before.</param>
/// <param name="After">Channels after.</param>
public sealed record PrunedLayer(string Name, int Before, int After);
