namespace CastingDefects.ML.Evaluation.Reports;

/// <summary>One epoch of training, for the report's training curves.</summary>
/// <param name="Epoch">Epoch number, from 1.</param>
/// <param name="Loss">Training loss.</param>
/// <param name="Accuracy">Training accuracy.</param>
/// <param name="ValLoss">Validation loss (NaN without validation).</param>
/// <param name="ValAccuracy">Validation accuracy (NaN without validation).</param>
/// <param name="LearningRate">Learning rate of the epoch.</param>
public sealed record TrainingCurve(int Epoch, double Loss, double Accuracy, double ValLoss, double ValAccuracy, double LearningRate);
