namespace CastingDefects.ML.Serving.Api;

/// <summary>
/// At most <c>concurrency</c> predictions at once, and at most <c>queueLimit</c> requests waiting: memory stays bounded
/// (each running request holds at most one body) and an overloaded service answers 503 at once instead of timing out.
/// </summary>
internal sealed class PredictionGate(int concurrency, int queueLimit)
{
    private readonly SemaphoreSlim _slots = new(concurrency, concurrency);
    private int _waiting;

    /// <summary>Waits for a slot; false when too many are already waiting.</summary>
    public async Task<bool> EnterAsync(CancellationToken cancellationToken)
    {
        if (_slots.Wait(0)) return true;
        if (Interlocked.Increment(ref _waiting) > queueLimit)
        {
            Interlocked.Decrement(ref _waiting);
            return false;
        }
        try
        {
            await _slots.WaitAsync(cancellationToken);
            return true;
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    public void Exit() => _slots.Release();
}
