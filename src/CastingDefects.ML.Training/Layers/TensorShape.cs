namespace CastingDefects.ML.Training.Layers;

/// <summary>
/// Shape of one sample (batch dimension excluded): (channels, height, width) for feature maps, or (features) for
/// vectors, where <see cref="Height"/> and <see cref="Width"/> are 0.
/// </summary>
/// <param name="Channels">Channels of a feature map, or the length of a vector.</param>
/// <param name="Height">Height of a feature map; 0 for a vector.</param>
/// <param name="Width">Width of a feature map; 0 for a vector.</param>
public readonly record struct TensorShape(int Channels, int Height, int Width)
{
    /// <summary>A vector of <paramref name="features"/> values.</summary>
    public static TensorShape Vector(int features) => new(features, 0, 0);

    /// <summary>True for a feature map (C, H, W).</summary>
    public bool IsImage => Height > 0 && Width > 0;

    /// <summary>Number of values in one sample.</summary>
    public long Size => IsImage ? (long)Channels * Height * Width : Channels;

    /// <summary>Keras's notation with the batch dimension first, channels first: (None, 16, 298, 298).</summary>
    public override string ToString() => IsImage ? $"(None, {Channels}, {Height}, {Width})" : $"(None, {Channels})";
}
