namespace CastingDefects.ML.Training.Fitting;

/// <summary>Class weights for the loss of a two-class model (<see cref="FitOptions.ClassWeights"/>).</summary>
public static class ClassWeighting
{
    /// <summary>
    /// scikit-learn's and Keras's "balanced" weights: each class weighs n / (2 n_class), so both classes contribute
    /// equally to the loss (1,000 good and 250 defect images: good 0.625, defect 2.5).
    /// </summary>
    public static (double Good, double Defect) Balanced(int goodCount, int defectCount)
    {
        if (goodCount < 1 || defectCount < 1)
            throw new ArgumentException($"Balanced class weights need images of both classes (good {goodCount}, defect {defectCount}).");
        double total = goodCount + defectCount;
        return (total / (2.0 * goodCount), total / (2.0 * defectCount));
    }
}
