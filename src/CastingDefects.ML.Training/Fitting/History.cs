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

    /// <summary>
    /// True when the best epoch (<see cref="BestEpoch"/>) is one of the last two run: the model was still improving when
    /// the run ended, and a longer run would likely do better (when it ended by its epoch limit, not by early stopping).
    /// </summary>
    public bool StillImproving => Epochs.Count >= 2 && BestEpoch >= Epochs[^1].Epoch - 1;

    /// <summary>Total seconds over all epochs.</summary>
    public double Seconds => Epochs.Sum(e => e.Seconds);

    /// <summary>The series of one metric (loss, accuracy, val_loss, val_accuracy, lr).</summary>
    public double[] this[string metric] => Epochs.Select(e => e.Get(metric)).ToArray();

    /// <summary>The epochs as a table, one row each, the best epoch (see <see cref="BestEpoch"/>) marked with *.</summary>
    public override string ToString()
    {
        var table = new System.Text.StringBuilder();
        table.AppendLine(" epoch |   loss | accuracy | val_loss | val_accuracy |       lr | seconds");
        table.AppendLine("-------|--------|----------|----------|--------------|----------|--------");
        int best = BestEpoch;
        foreach (var e in Epochs)
            table.AppendLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{e.Epoch,5}{(e.Epoch == best ? "*" : " ")} | {e.Loss,6:F4} | {e.Accuracy,8:P2} | {e.ValLoss,8:F4} | {e.ValAccuracy,12:P2} | {e.LearningRate,8:G3} | {e.Seconds,7:F1}"));
        return table.ToString();
    }
}
