namespace CastingDefects.ML.Training.Fitting;

/// <summary>Progress of training, reported after every batch.</summary>
/// <param name="Epoch">Current epoch, from 1.</param>
/// <param name="Epochs">Epochs planned.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="Batches">Batches per epoch.</param>
/// <param name="Loss">Running mean loss of this epoch.</param>
/// <param name="Elapsed">Time since the epoch started.</param>
public sealed record TrainingProgress(int Epoch, int Epochs, int Batch, int Batches, double Loss, TimeSpan Elapsed)
{
    /// <summary>Estimated time left in this epoch.</summary>
    public TimeSpan EpochRemaining => Batch == 0 ? TimeSpan.Zero : Elapsed / Batch * (Batches - Batch);
}
