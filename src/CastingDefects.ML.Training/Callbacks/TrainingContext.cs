using CastingDefects.ML.Training.Models;

namespace CastingDefects.ML.Training.Callbacks;

/// <summary>What a callback can see and change during training.</summary>
public sealed class TrainingContext
{
    private readonly Func<double> _getLearningRate;
    private readonly Action<double> _setLearningRate;

    internal TrainingContext(Sequential model, Func<double> getLearningRate, Action<double> setLearningRate)
    {
        Model = model;
        _getLearningRate = getLearningRate;
        _setLearningRate = setLearningRate;
    }

    /// <summary>The model being trained.</summary>
    public Sequential Model { get; }

    /// <summary>The optimizer's current learning rate.</summary>
    public double LearningRate
    {
        get => _getLearningRate();
        set => _setLearningRate(value);
    }

    /// <summary>Set to true to stop after the current epoch (Keras's <c>model.stop_training</c>).</summary>
    public bool StopTraining { get; set; }
}
