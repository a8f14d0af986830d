namespace CastingDefects.ML.Training.Layers;

/// <summary>Activation functions, named as in Keras.</summary>
public enum Activation
{
    /// <summary>Identity ("linear").</summary>
    Linear,
    /// <summary>max(0, x).</summary>
    ReLU,
    /// <summary>min(max(0, x), 6).</summary>
    ReLU6,
    /// <summary>1 / (1 + e^-x).</summary>
    Sigmoid,
    /// <summary>Softmax over the feature (channel) axis.</summary>
    Softmax,
}
