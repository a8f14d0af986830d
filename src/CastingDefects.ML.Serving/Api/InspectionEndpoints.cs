using System.Diagnostics;
using System.Reflection;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Serving.Hosting;
using CastingDefects.ML.Serving.Monitoring;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CastingDefects.ML.Serving.Api;

/// <summary>
/// The inspection service's endpoints, to map into any ASP.NET Core app that registered <c>AddCastingModel</c> and
/// <see cref="InspectionServiceCollectionExtensions.AddCastingInspection(Microsoft.Extensions.DependencyInjection.IServiceCollection, InspectionOptions)"/>:
/// <c>POST /api/predict</c>, <c>GET /api/model</c>, <c>GET /api/stats</c>, <c>GET /healthz</c>, <c>GET /metrics</c>
/// (Prometheus), <c>GET /openapi/v1.json</c>, and the operator page at <c>GET /</c>. Every error is an RFC 7807 ProblemDetails.
/// </summary>
public static class InspectionEndpoints
{
    private static readonly Assembly Assets = typeof(InspectionEndpoints).Assembly;

    /// <summary>Maps the endpoints (see the type's summary).</summary>
    public static IEndpointRouteBuilder MapCastingInspection(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        var options = services.GetRequiredService<InspectionOptions>();
        var predictor = services.GetRequiredService<CastingModelPredictor>();
        var metrics = services.GetRequiredService<InspectionMetrics>();
        metrics.ModelVersion.Set(predictor.Model.Version);
        predictor.ModelChanged += (_, model) => metrics.ModelVersion.Set(model.Version);
        predictor.ReloadRefused += (_, _) => metrics.RefusedReloads.Inc();
        var keyed = endpoints.MapGroup("").AddEndpointFilter(new ApiKeyFilter(options.ApiKey));

        keyed.MapPost("/api/predict", PredictAsync)
            .WithName("Predict")
            .WithSummary("Classify one or more images")
            .WithDescription("The body is one image (Content-Type image/jpeg, image/png, image/bmp or application/octet-stream; X-File-Name names it), " +
                             "or multipart/form-data with one file part per image. One image returns a PredictionResponse, several a BatchPredictionResponse. " +
                             "?heatmap=true adds where the model looks.")
            .Produces<PredictionResponse>()
            .Produces<BatchPredictionResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .DisableAntiforgery();
        keyed.MapGet("/api/model", (CastingModelPredictor p) => Results.Ok(p.Model))
            .WithName("Model").WithSummary("The serving model").Produces<CastingModelInfo>();
        keyed.MapGet("/api/stats", (InspectionStats stats) => Results.Ok(stats.Snapshot()))
            .WithName("Stats").WithSummary("Counts per verdict, throughput and the latest results").Produces<InspectionSummary>();
        keyed.MapGet("/metrics", async (HttpContext context, InspectionMetrics m) =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await m.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
        }).WithName("Metrics").WithSummary("Prometheus metrics (text format)").ExcludeFromDescription();
        endpoints.MapGet("/healthz", (CastingModelPredictor p) => Results.Ok(new
        {
            status = "healthy",
            model = p.Model,
            selfTest = "passed", // every model is self-tested before it serves; a failing file never replaces it
            lastReloadError = p.LastReloadError,
        })).WithName("Health").WithSummary("The model is loaded and passed its self-test prediction");
        endpoints.MapOpenApi();
        endpoints.MapGet("/", () => Asset("index.html")).ExcludeFromDescription();
        endpoints.MapGet("/assets/{name}", (string name) => Asset(name)).ExcludeFromDescription();
        return endpoints;
    }

    private static async Task<IResult> PredictAsync(HttpContext context, CastingModelPredictor predictor, InspectionOptions options,
        InspectionStats stats, InspectionMetrics metrics, PredictionGate gate, bool? heatmap)
    {
        long start = Stopwatch.GetTimestamp();
        IResult result;
        int status = StatusCodes.Status200OK;
        if (!await gate.EnterAsync(context.RequestAborted))
        {
            context.Response.Headers.RetryAfter = "1";
            status = StatusCodes.Status503ServiceUnavailable;
            result = Problem(new ApiProblem(status, "Busy", $"More than {options.QueueLimit} requests are waiting; retry shortly."));
        }
        else
        {
            try
            {
                result = await PredictInsideGateAsync(context, predictor, options, stats, metrics, heatmap == true);
            }
            catch (ApiProblem problem)
            {
                status = problem.Status;
                result = Problem(problem);
            }
            finally
            {
                gate.Exit();
            }
        }
        metrics.Requests.WithLabels("predict", status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        metrics.Latency.Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
        return result;
    }

    private static async Task<IResult> PredictInsideGateAsync(HttpContext context, CastingModelPredictor predictor, InspectionOptions options,
        InspectionStats stats, InspectionMetrics metrics, bool heatmap)
    {
        long start = Stopwatch.GetTimestamp();
        var uploads = await ImageUploadReader.ReadAsync(context.Request, options, context.RequestAborted);
        var responses = new List<PredictionResponse>(uploads.Count);
        foreach (var upload in uploads)
        {
            ServedPrediction prediction;
            try
            {
                prediction = predictor.Predict(upload.Bytes, upload.Name, heatmap);
            }
            catch (InvalidDataException e)
            {
                throw new ApiProblem(StatusCodes.Status422UnprocessableEntity, "Not a usable image", e.Message);
            }
            var r = prediction.Result;
            stats.Add(upload.Name, r.Verdict, r.Probability, prediction.Milliseconds);
            metrics.Verdicts.WithLabels(r.Verdict).Inc();
            responses.Add(new PredictionResponse(upload.Name, r.Verdict, r.Probability, r.Threshold, r.ClassProbabilities,
                prediction.Model.Id, prediction.Model.Version, prediction.Milliseconds,
                r.Heatmap is { } map ? new HeatmapResponse(map.Width, map.Height, map.PeakX, map.PeakY,
                    "data:image/png;base64," + Convert.ToBase64String(HeatmapOverlay.MapPng(map))) : null));
        }
        return responses.Count == 1 ? Results.Ok(responses[0])
            : Results.Ok(new BatchPredictionResponse(responses, Stopwatch.GetElapsedTime(start).TotalMilliseconds));
    }

    private static IResult Problem(ApiProblem problem) => Results.Problem(statusCode: problem.Status, title: problem.Title, detail: problem.Message);

    private static IResult Asset(string name)
    {
        string contentType = Path.GetExtension(name) switch
        {
            ".html" => "text/html; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            ".css" => "text/css; charset=utf-8",
            ".svg" => "image/svg+xml",
            _ => "",
        };
        var stream = contentType.Length == 0 ? null : Assets.GetManifestResourceStream("wwwroot/" + name);
        return stream is null
            ? Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No asset '{name}'.")
            : Results.Stream(stream, contentType);
    }
}
