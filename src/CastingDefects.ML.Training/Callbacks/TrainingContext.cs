using CastingDefects.ML.Training.Models;

namespace CastingDefects.ML.Training.Callbacks;

/// <summary>What a callback can see and change during training.</summary>
public sealed class TrainingContext
{
    private readonly Func<double> _getLearningRate;
    private readonly Action<double> _setLearningRate;

    internal TrainingContext(Sequential model, Func<double> getLearningRate, Action<double> setLearningRate, string? checkpointDirectory = null)
    {
        Model = model;
        CheckpointDirectory = checkpointDirectory;
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

    /// <summary>
    /// The checkpoint folder of this run (<see cref="Fitting.FitOptions.CheckpointDirectory"/>), or null. Callbacks that
    /// keep weights (as <see cref="EarlyStopping"/> with <c>restoreBestWeights</c>) keep them there too, so a resumed
    /// run can still restore them.
    /// </summary>
    public string? CheckpointDirectory { get; }

    /// <summary>Set to true to stop after the current epoch (Keras's <c>model.stop_training</c>).</summary>
    public bool StopTraining { get; set; }
}
