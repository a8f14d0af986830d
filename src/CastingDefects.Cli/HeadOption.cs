using CastingDefects.ML.Training.Models;

namespace CastingDefects.Cli;

/// <summary>Parses <c>--head</c>.</summary>
internal static class HeadOption
{
    public static HeadKind Parse(string value) => value.ToLowerInvariant() switch
    {
        "sigmoid1" or "sigmoid" => HeadKind.Sigmoid1,
        "softmax2" or "softmax" => HeadKind.Softmax2,
        _ => throw new ArgumentException($"Unknown head '{value}' (--head). Available: sigmoid1, softmax2."),
    };
}
