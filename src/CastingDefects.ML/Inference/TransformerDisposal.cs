using Microsoft.ML;

namespace CastingDefects.ML.Inference;

/// <summary>
/// Releasing what a loaded or fitted model holds. ML.NET's ONNX transformer writes the network it was given as bytes
/// (every model loaded from a .zip, every model a trainer of this library returns) to a file in the temporary folder and
/// deletes that file only when the transformer is disposed; .NET runs no finalizers at exit, so a process that never
/// disposes its models leaves one file per load behind (61 MB for a ResNet18 transfer model).
/// </summary>
public static class TransformerDisposal
{
    /// <summary>
    /// Disposes <paramref name="model"/> and, for a chain, every transformer in it (idempotent; null is ignored). Use
    /// the model no more afterwards.
    /// </summary>
    public static void DisposeModel(this ITransformer? model)
    {
        if (model is null) return;
        if (model is IEnumerable<ITransformer> chain)
            foreach (var part in chain) part.DisposeModel();
        (model as IDisposable)?.Dispose();
    }
}
