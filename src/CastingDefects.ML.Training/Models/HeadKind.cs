namespace CastingDefects.ML.Training.Models;

/// <summary>How a model's last layer turns into a defect probability.</summary>
public enum HeadKind
{
    /// <summary>One unit with a sigmoid (the paper's custom model): binary cross-entropy on the logit.</summary>
    Sigmoid1,
    /// <summary>Two units with a softmax (the paper's transfer models): cross-entropy; class 1 is the defect class.</summary>
    Softmax2,
    /// <summary>K >= 3 units with a softmax: multiclass cross-entropy over K class folders.</summary>
    SoftmaxN,
}
