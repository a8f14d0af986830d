using System.CommandLine;
using CastingDefects.ML.Serving;
using CastingDefects.ML.Serving.Api;
using CastingDefects.ML.Serving.Hosting;
using Microsoft.AspNetCore.Builder;

namespace CastingDefects.Cli;

/// <summary><c>casting-defects serve</c>: the inspection service (API, operator page, health, metrics) over a saved model.</summary>
internal static class ServeCommand
{
    /// <summary>Environment variable read for the API key when <c>--api-key</c> is not given.</summary>
    public const string ApiKeyVariable = "CASTING_DEFECTS_API_KEY";

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model file (.zip written by train, or .onnx). Replacing it (atomically) swaps the new model in without dropping requests", Required = true };
        var urls = new Option<string>("--urls") { Description = "Where to listen, ';'-separated (default http://127.0.0.1:5080: this machine only). Any other address needs an API key", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var concurrency = new Option<int>("--max-concurrency") { Description = "Predictions at once (default: the number of cores); more requests wait, up to --queue-limit", DefaultValueFactory = _ => Environment.ProcessorCount };
        var queue = new Option<int>("--queue-limit") { Description = "Requests that may wait for a turn; beyond that 503", DefaultValueFactory = _ => 256 };
        var apiKey = new Option<string?>("--api-key") { Description = $"Key clients send in X-Api-Key (or Authorization: Bearer) for /api and /metrics; default: the {ApiKeyVariable} environment variable" };
        var maxRequest = new Option<int>("--max-request-mb") { Description = "Largest request body in MB; larger ones get 413", DefaultValueFactory = _ => 32 };
        var maxFiles = new Option<int>("--max-files") { Description = "Most images per request", DefaultValueFactory = _ => 32 };
        var command = new Command("serve", "Serve a model over HTTP: POST /api/predict (JSON), an operator page at /, /healthz, /metrics (Prometheus), /openapi/v1.json.")
            { model, urls, concurrency, queue, apiKey, maxRequest, maxFiles };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            string[] listen = parse.GetValue(urls)!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (listen.Length == 0) throw new ArgumentException("--urls: give at least one address, e.g. http://127.0.0.1:5080.");
            string? key = parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable(ApiKeyVariable);
            if (string.IsNullOrEmpty(key)) key = null;
            if (key is null && !InspectionServer.IsLoopbackOnly(listen))
                throw new ArgumentException($"--urls: '{string.Join(';', listen)}' is reachable from other machines; give an API key (--api-key or {ApiKeyVariable}), or listen on 127.0.0.1.");
            if (key is { Length: < 16 }) throw new ArgumentException("--api-key: use at least 16 characters.");
            if (parse.GetValue(concurrency) < 1) throw new ArgumentException("--max-concurrency: must be at least 1.");
            if (parse.GetValue(queue) < 0) throw new ArgumentException("--queue-limit: must not be negative.");
            if (parse.GetValue(maxRequest) is < 1 or > 2048) throw new ArgumentException("--max-request-mb: must be between 1 and 2048.");
            if (parse.GetValue(maxFiles) < 1) throw new ArgumentException("--max-files: must be at least 1.");
            var app = InspectionServer.Build(
                new CastingModelOptions { ModelPath = parse.GetValue(model)! },
                new InspectionOptions
                {
                    MaxConcurrency = parse.GetValue(concurrency),
                    QueueLimit = parse.GetValue(queue),
                    ApiKey = key,
                    MaxRequestBytes = parse.GetValue(maxRequest) * 1024L * 1024,
                    MaxFilesPerRequest = parse.GetValue(maxFiles),
                },
                listen);
            app.Lifetime.ApplicationStarted.Register(() =>
                Console.Error.WriteLine($"serving {Path.GetFileName(parse.GetValue(model))} on {string.Join(", ", app.Urls)} (page: /, API: POST /api/predict, Ctrl-C stops)"));
            app.Run();
            return 0;
        }));
        return command;
    }
}
