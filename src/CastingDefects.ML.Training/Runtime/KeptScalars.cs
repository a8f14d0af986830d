using TorchSharp;

namespace CastingDefects.ML.Training.Runtime;

/// <summary>
/// The scalar operands of the training loop's tensor calls, created once and held for the life of the process.
/// <para>
/// TorchSharp 0.107 turns a number passed to a tensor method (<c>div_(255f)</c>) into a temporary
/// <see cref="Scalar"/> that nothing holds once its native handle is read; the garbage collector may then finalize it,
/// freeing the native scalar, while libtorch is still reading it (dotnet/TorchSharp#1434). Measured here: a sample
/// stopped in its third epoch with "Unknown scalar type" from <c>div_</c>. Scalars held by a static field are never
/// finalized.
/// </para>
/// </summary>
internal static class KeptScalars
{
    /// <summary>0 (logits above it are the defect class).</summary>
    public static readonly Scalar Zero = 0f.ToScalar();

    /// <summary>0.5 (labels above it are the defect class).</summary>
    public static readonly Scalar Half = 0.5f.ToScalar();

    /// <summary>255 (bytes to [0, 1]).</summary>
    public static readonly Scalar ByteMax = 255f.ToScalar();
}
