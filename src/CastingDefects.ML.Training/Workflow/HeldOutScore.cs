using CastingDefects.ML.Data;
using CastingDefects.ML.Evaluation;
using Microsoft.ML;

namespace CastingDefects.ML.Training.Workflow;

/// <summary>The saved model's figures on one held-out part of the data.</summary>
/// <param name="Images">The images of that part.</param>
/// <param name="Scored">The model's output on them, in order.</param>
/// <param name="Accuracy">Accuracy (micro for several classes).</param>
/// <param name="Binary">Binary metrics at the model's threshold, or null for several classes.</param>
public sealed record HeldOutScore(ImageFolderDataset Images, IDataView Scored, double Accuracy, BinaryMetrics? Binary)
{
    /// <summary>One line: accuracy, and for a binary model defect recall and ROC AUC.</summary>
    public override string ToString() =>
        $"accuracy {Accuracy:P2}" + (Binary is null ? "" : $", defect recall {Binary.Recall:P2}, AUC {Binary.RocAuc:F4}");
}
