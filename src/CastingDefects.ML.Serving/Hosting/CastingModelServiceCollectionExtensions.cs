using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CastingDefects.ML.Serving.Hosting;

/// <summary>Registers a saved casting model in an ASP.NET Core (or any generic host) app.</summary>
public static class CastingModelServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="CastingModelPredictor"/> for <paramref name="modelPath"/> as a singleton: inject it
    /// and call <c>Predict</c> from any request; it reloads the file when it is replaced. As
    /// <c>services.AddPredictionEnginePool&lt;,&gt;().FromFile(...)</c> in ML.NET.
    /// </summary>
    public static IServiceCollection AddCastingModel(this IServiceCollection services, string modelPath, Action<CastingModelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        var options = new CastingModelOptions { ModelPath = modelPath };
        configure?.Invoke(options);
        return services.AddCastingModel(options);
    }

    /// <summary>Registers one <see cref="CastingModelPredictor"/> with <paramref name="options"/> as a singleton.</summary>
    public static IServiceCollection AddCastingModel(this IServiceCollection services, CastingModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(provider => new CastingModelPredictor(options, provider.GetService<ILogger<CastingModelPredictor>>()));
        return services;
    }
}
