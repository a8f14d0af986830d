using CastingDefects.ML.Serving;
using CastingDefects.ML.Serving.Api;
using CastingDefects.ML.Serving.Hosting;
using CastingDefects.ML.Synthetic;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using SkiaSharp;

namespace CastingDefects.ML.Training.Tests;

/// <summary>The inspection service in-process (ASP.NET Core's TestServer) over a copy of a committed test model.</summary>
public sealed class ServingHost : IAsyncDisposable
{
    private ServingHost(WebApplication app, string modelPath)
    {
        App = app;
        ModelPath = modelPath;
        Client = app.GetTestClient();
    }

    public WebApplication App { get; }
    public HttpClient Client { get; }
    public string ModelPath { get; }

    /// <summary>The committed 64 px gray paper CNN (with its heatmap output), and an older one with another id.</summary>
    public static string Model => Path.Combine(AppContext.BaseDirectory, "assets", "paper-gray-64.zip");
    public static string OtherModel => Path.Combine(AppContext.BaseDirectory, "assets", "paper-gray-64-before-guard.zip");

    public static async Task<ServingHost> StartAsync(string modelPath, Action<InspectionOptions>? inspection = null, Action<CastingModelOptions>? model = null)
    {
        var modelOptions = new CastingModelOptions { ModelPath = modelPath, PollInterval = TimeSpan.FromMilliseconds(200) };
        model?.Invoke(modelOptions);
        var inspectionOptions = new InspectionOptions();
        inspection?.Invoke(inspectionOptions);
        var app = InspectionServer.Build(modelOptions, inspectionOptions, configure: b => b.WebHost.UseTestServer());
        await app.StartAsync();
        return new ServingHost(app, modelPath);
    }

    /// <summary>A synthetic casting (defective or good) encoded as PNG or JPEG.</summary>
    public static byte[] Casting(int index, bool defective, int size = 96, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = SyntheticCastingGenerator.Render(11, index, defective, size, 2f, out _);
        using var data = bitmap.Encode(format, 90);
        return data.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
