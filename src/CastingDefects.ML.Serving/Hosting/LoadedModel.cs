using CastingDefects.ML.Inference;

namespace CastingDefects.ML.Serving.Hosting;

/// <summary>
/// A loaded network and how many predictions are using it: a model swapped out is disposed only when the last
/// prediction that started on it has finished, so a hot swap drops no request and never runs a disposed session.
/// </summary>
internal sealed class LoadedModel(CastingOnnxModel network, CastingModelInfo info, long fileLength, DateTime fileWriteTimeUtc)
{
    private int _users; // -1 once disposed
    private int _retired;

    public CastingOnnxModel Network { get; } = network;
    public CastingModelInfo Info { get; } = info;
    public long FileLength { get; } = fileLength;
    public DateTime FileWriteTimeUtc { get; } = fileWriteTimeUtc;

    /// <summary>Counts one more user; false when the model was already disposed (the caller takes the current one).</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            int n = Volatile.Read(ref _users);
            if (n < 0) return false;
            if (Interlocked.CompareExchange(ref _users, n + 1, n) == n) return true;
        }
    }

    /// <summary>One user fewer; the last user of a retired model disposes it.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _users) == 0 && Volatile.Read(ref _retired) == 1) TryDispose();
    }

    /// <summary>No new users will come (another model took its place): dispose now if idle, else when the last leaves.</summary>
    public void Retire()
    {
        Volatile.Write(ref _retired, 1);
        TryDispose();
    }

    private void TryDispose()
    {
        if (Interlocked.CompareExchange(ref _users, -1, 0) == 0) Network.Dispose();
    }
}
