namespace CastingDefects.ML.Training.Fitting;

/// <summary>What one epoch measured (Keras's logs).</summary>
/// <param name="Epoch">Epoch number, from 1.</param>
/// <param name="Loss">Mean training loss.</param>
/// <param name="Accuracy">Training accuracy.</param>
/// <param name="ValLoss">Validation loss (NaN without validation data).</param>
/// <param name="ValAccuracy">Validation accuracy (NaN without validation data).</param>
/// <param name="LearningRate">Learning rate used in this epoch.</param>
/// <param name="Seconds">Wall-clock seconds of the epoch, validation included.</param>
public sealed record EpochLog(int Epoch, double Loss, double Accuracy, double ValLoss, double ValAccuracy, double LearningRate, double Seconds)
{
    /// <summary>The value of a Keras metric name: loss, accuracy, val_loss, val_accuracy, lr.</summary>
    public double Get(string metric) => metric switch
    {
        "loss" => Loss,
        "accuracy" or "acc" => Accuracy,
        "val_loss" => ValLoss,
        "val_accuracy" or "val_acc" => ValAccuracy,
        "lr" or "learning_rate" => LearningRate,
        _ => throw new ArgumentException($"Unknown metric '{metric}'; use loss, accuracy, val_loss, val_accuracy or lr.", nameof(metric)),
    };

    /// <summary>
    /// The line Keras prints at the end of an epoch with <c>verbose</c> on:
    /// <c>Epoch 3/20 - 2.2s - loss: 0.6663 - accuracy: 0.6384 - val_loss: 0.6560 - val_accuracy: 0.6607 - learning_rate: 0.0010</c>
    /// (the validation figures only where there was validation data).
    /// </summary>
    public string ToKerasLine(int epochs)
    {
        var line = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"Epoch {Epoch}/{epochs} - {Seconds:F1}s - loss: {Loss:F4} - accuracy: {Accuracy:F4}");
        if (!double.IsNaN(ValLoss))
            line += string.Create(System.Globalization.CultureInfo.InvariantCulture, $" - val_loss: {ValLoss:F4} - val_accuracy: {ValAccuracy:F4}");
        return line + string.Create(System.Globalization.CultureInfo.InvariantCulture, $" - learning_rate: {LearningRate:G4}");
    }
}
