using CastingDefects.ML.Serving.Api;
using CastingDefects.ML.Serving.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CastingDefects.ML.Serving;

/// <summary>
/// The whole inspection service as one ASP.NET Core app (what <c>casting-defects serve</c> runs): Kestrel, the model
/// with hot swap, the API and page, ProblemDetails for every error (also 404/405 and unexpected failures).
/// </summary>
public static class InspectionServer
{
    /// <summary>
    /// Builds the app for <paramref name="model"/>; <paramref name="configure"/> may change the builder before it is
    /// built (e.g. <c>builder.WebHost.UseTestServer()</c> in tests). The model is loaded (and self-tested) here, so a bad
    /// file fails at start, naming it.
    /// </summary>
    public static WebApplication Build(CastingModelOptions model, InspectionOptions inspection, string[]? urls = null, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inspection);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        if (urls is { Length: > 0 }) builder.WebHost.UseUrls(urls);
        // One log line per request would cost more than the prediction: the service logs start, model swaps and problems.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = inspection.MaxRequestBytes);
        builder.Services.AddCastingModel(model);
        builder.Services.AddCastingInspection(inspection);
        configure?.Invoke(builder);
        var app = builder.Build();
        app.Services.GetRequiredService<CastingModelPredictor>(); // load now: a bad model fails the start
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapCastingInspection();
        return app;
    }

    /// <summary>True when every URL binds to the loopback interface only (localhost, 127.x.x.x, [::1]).</summary>
    public static bool IsLoopbackOnly(IEnumerable<string> urls)
    {
        ArgumentNullException.ThrowIfNull(urls);
        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url.Replace("://*", "://any-host", StringComparison.Ordinal).Replace("://+", "://any-host", StringComparison.Ordinal), UriKind.Absolute, out var uri)) return false;
            if (uri.IsLoopback) continue;
            if (!System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) || !System.Net.IPAddress.IsLoopback(address)) return false;
        }
        return true;
    }
}
