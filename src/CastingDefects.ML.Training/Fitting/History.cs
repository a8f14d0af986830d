namespace CastingDefects.ML.Training.Fitting;

/// <summary>Per-epoch logs of a <c>Fit</c> call (Keras's <c>History</c>).</summary>
public sealed class History
{
    /// <summary>One entry per epoch run, in order.</summary>
    public List<EpochLog> Epochs { get; } = new();

    /// <summary>Epoch (from 1) with the lowest validation loss (or training loss without validation); 0 when empty.</summary>
    public int BestEpoch
    {
        get
        {
            if (Epochs.Count == 0) return 0;
            bool hasVal = Epochs.Any(e => !double.IsNaN(e.ValLoss));
            return Epochs.OrderBy(e => hasVal ? e.ValLoss : e.Loss).ThenBy(e => e.Epoch).First().Epoch;
        }
    }

    /// <summary>Total seconds over all epochs.</summary>
    public double Seconds => Epochs.Sum(e => e.Seconds);

    /// <summary>The series of one metric (loss, accuracy, val_loss, val_accuracy, lr).</summary>
    public double[] this[string metric] => Epochs.Select(e => e.Get(metric)).ToArray();
}
