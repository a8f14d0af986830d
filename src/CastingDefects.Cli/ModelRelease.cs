using CastingDefects.ML.Inference;
using Microsoft.ML;

namespace CastingDefects.Cli;

/// <summary>Disposes models at the end of a command (<c>using var</c>), so their temporary ONNX files go with them.</summary>
internal sealed class ModelRelease(params ITransformer?[] models) : IDisposable
{
    public void Dispose()
    {
        foreach (var model in models) model.DisposeModel();
    }
}
