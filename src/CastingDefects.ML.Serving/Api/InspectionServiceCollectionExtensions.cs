using CastingDefects.ML.Serving.Monitoring;
using Microsoft.Extensions.DependencyInjection;

namespace CastingDefects.ML.Serving.Api;

/// <summary>Registers what <see cref="InspectionEndpoints.MapCastingInspection"/> needs besides the model.</summary>
public static class InspectionServiceCollectionExtensions
{
    /// <summary>
    /// Registers the inspection API's options, running counts and metrics, RFC 7807 ProblemDetails and the OpenAPI
    /// document. Register the model with <c>AddCastingModel</c> too.
    /// </summary>
    public static IServiceCollection AddCastingInspection(this IServiceCollection services, Action<InspectionOptions>? configure = null)
    {
        var options = new InspectionOptions();
        configure?.Invoke(options);
        return services.AddCastingInspection(options);
    }

    /// <summary>Registers the inspection API with <paramref name="options"/>; see the other overload.</summary>
    public static IServiceCollection AddCastingInspection(this IServiceCollection services, InspectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxConcurrency < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxConcurrency, "MaxConcurrency must be at least 1.");
        if (options.MaxFilesPerRequest < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxFilesPerRequest, "MaxFilesPerRequest must be at least 1.");
        if (options.MaxRequestBytes < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxRequestBytes, "MaxRequestBytes must be positive.");
        services.AddSingleton(options);
        services.AddSingleton(new InspectionStats(options.RecentResults));
        services.AddSingleton<InspectionMetrics>();
        services.AddSingleton(new PredictionGate(options.MaxConcurrency, options.QueueLimit));
        services.AddProblemDetails();
        services.AddOpenApi(o => o.AddOperationTransformer((operation, context, _) =>
        {
            // The predict handler reads its body itself (raw image or multipart), so the document says what it takes.
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<Microsoft.AspNetCore.Routing.IEndpointNameMetadata>().Any(n => n.EndpointName == "Predict"))
                operation.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
                {
                    Required = true,
                    Description = "One image as the body, or multipart/form-data with one file part per image.",
                    Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>
                    {
                        ["image/jpeg"] = new(), ["image/png"] = new(), ["image/bmp"] = new(), ["application/octet-stream"] = new(),
                        ["multipart/form-data"] = new(),
                    },
                };
            return Task.CompletedTask;
        }));
        return services;
    }
}
