namespace CastingDefects.ML.Training.Fitting;

/// <summary>Optimizers.</summary>
public enum OptimizerKind
{
    /// <summary>Adam (Keras defaults: beta1 0.9, beta2 0.999, epsilon 1e-7).</summary>
    Adam,
    /// <summary>Stochastic gradient descent with momentum.</summary>
    Sgd,
}
