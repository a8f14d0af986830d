using CastingDefects.ML.Training.Callbacks;
using CastingDefects.ML.Training.Fitting;
using Microsoft.ML.Runtime;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>Writes each epoch's Keras line to the context's log (<c>mlContext.Log</c>), as ML.NET's trainers report their progress.</summary>
internal sealed class ContextLogCallback(IChannel channel, int epochs) : Callback
{
    /// <inheritdoc />
    public override void OnEpochEnd(TrainingContext context, EpochLog log) => channel.Info(MessageSensitivity.None, log.ToKerasLine(epochs));
}
