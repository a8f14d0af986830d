using Prometheus;

namespace CastingDefects.ML.Serving.Monitoring;

/// <summary>
/// The service's Prometheus metrics, in a registry of its own (two services in one process, as in tests, never mix
/// their counts): requests by endpoint and status, request latency, images by verdict, refused model reloads, and the
/// serving model's version.
/// </summary>
public sealed class InspectionMetrics
{
    /// <summary>A new, empty set of metrics.</summary>
    public InspectionMetrics()
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        Requests = factory.CreateCounter("casting_requests_total", "HTTP requests to the inspection API.",
            new CounterConfiguration { LabelNames = ["endpoint", "status"] });
        Latency = factory.CreateHistogram("casting_request_duration_seconds", "Time to answer a prediction request, from the first byte read to the response.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        Verdicts = factory.CreateCounter("casting_verdicts_total", "Images classified, by verdict (OK, NG or the class).",
            new CounterConfiguration { LabelNames = ["verdict"] });
        RefusedReloads = factory.CreateCounter("casting_model_reloads_refused_total", "Replaced model files that were refused (the old model kept serving).");
        ModelVersion = factory.CreateGauge("casting_model_version", "Version of the serving model: 1 at start, one more per swap.");
    }

    /// <summary>The registry <c>/metrics</c> exports.</summary>
    public CollectorRegistry Registry { get; } = Prometheus.Metrics.NewCustomRegistry();

    internal Counter Requests { get; }
    internal Histogram Latency { get; }
    internal Counter Verdicts { get; }
    internal Counter RefusedReloads { get; }
    internal Gauge ModelVersion { get; }
}
