namespace CastingDefects.ML.Training.Models.Weights;

/// <summary>A named float32 array with its shape (one entry of a state dict).</summary>
/// <param name="Shape">Dimensions, outermost first.</param>
/// <param name="Values">Values in row-major order.</param>
public sealed record NamedTensor(long[] Shape, float[] Values)
{
    /// <summary>Number of values the shape holds.</summary>
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
}
