using CastingDefects.ML.Training.Callbacks;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>
/// What one fit runs with once the trainer has resolved its options against the context: the seed, a token that the
/// options' token and <c>mlContext.CancelExecution()</c> both cancel, and the callbacks to add (the context's log and the
/// options' own).
/// </summary>
internal sealed record TrainerRun(int Seed, CancellationToken CancellationToken, IReadOnlyList<Callback> Callbacks);
