namespace CastingDefects.ML.Training.Anomaly;

/// <summary>A fitted PaDiM detector (<see cref="Padim.Fit"/>): its ONNX graph and what the fit measured.</summary>
public sealed class PadimModel
{
    internal PadimModel(byte[] onnx, PadimStatistics statistics, float threshold, float scale, float[] validationScores, float[] validationLabels,
        TimeSpan featureExtraction, TimeSpan total)
    {
        Onnx = onnx;
        Statistics = statistics;
        Threshold = threshold;
        Scale = scale;
        ValidationScores = validationScores;
        ValidationLabels = validationLabels;
        FeatureExtraction = featureExtraction;
        FitTime = total;
    }

    internal PadimStatistics Statistics { get; }

    /// <summary>
    /// The whole detector as ONNX, following <see cref="Inference.OnnxContract"/>: logit, probability and decision like
    /// a classifier, plus the raw anomaly score and the anomaly map at the input size.
    /// </summary>
    public byte[] Onnx { get; }

    /// <summary>Threshold on the raw anomaly score: at or above it an image is called a defect.</summary>
    public float Threshold { get; }

    /// <summary>Scale of the logit, (score - threshold) / scale: the spread of the good validation scores.</summary>
    public float Scale { get; }

    /// <summary>Feature channels kept per position.</summary>
    public int Dimensions => Statistics.Dimensions;

    /// <summary>Feature grid (rows, columns): one Gaussian per position.</summary>
    public (int Height, int Width) Grid => (Statistics.GridHeight, Statistics.GridWidth);

    /// <summary>Good images the Gaussians were estimated from.</summary>
    public int FittedImages => Statistics.Images;

    /// <summary>Bytes of the learned statistics (means and inverse covariances), PaDiM's memory bank.</summary>
    public long MemoryBankBytes => Statistics.Bytes;

    /// <summary>Raw anomaly scores of the validation images that chose the threshold.</summary>
    public IReadOnlyList<float> ValidationScores { get; }

    /// <summary>Labels of those images (1 = defect).</summary>
    public IReadOnlyList<float> ValidationLabels { get; }

    /// <summary>Time spent extracting the features of the fitted images.</summary>
    public TimeSpan FeatureExtraction { get; }

    /// <summary>Time of the whole fit.</summary>
    public TimeSpan FitTime { get; }
}
