namespace CastingDefects.ML.Training.Layers;

/// <summary>A layer with a built-in activation (Keras's <c>activation=</c> argument).</summary>
public interface IHasActivation
{
    /// <summary>The activation applied to the layer's output.</summary>
    Activation Activation { get; }
}
