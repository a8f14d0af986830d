namespace CastingDefects.ML.Serving.Api;

/// <summary>Limits and access of the inspection API (<see cref="InspectionEndpoints.MapCastingInspection"/>).</summary>
public sealed class InspectionOptions
{
    /// <summary>Largest request body in bytes (default 32 MB); a larger one gets 413.</summary>
    public long MaxRequestBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>Most images in one request (default 32); more get 400.</summary>
    public int MaxFilesPerRequest { get; set; } = 32;

    /// <summary>Predictions running at once (default: the number of cores); requests beyond wait their turn.</summary>
    public int MaxConcurrency { get; set; } = Environment.ProcessorCount;

    /// <summary>Requests that may wait for a turn (default 256); beyond that they get 503 with Retry-After.</summary>
    public int QueueLimit { get; set; } = 256;

    /// <summary>
    /// When set, <c>/api/*</c> and <c>/metrics</c> need it in the <c>X-Api-Key</c> header (or <c>Authorization: Bearer</c>);
    /// compared in constant time. The page itself and <c>/healthz</c> stay open; the page asks for the key.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>Latest results kept for the page (default 50).</summary>
    public int RecentResults { get; set; } = 50;
}
