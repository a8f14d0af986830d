// ServingLoadTest: how many images per second `casting-defects serve` answers over HTTP on loopback, against the
// in-process engine pool on the same machine, and at what latency. Bounded in requests and time; exits 1 on any error.
// dotnet run -c Release --project samples/ServingLoadTest -- --model artifacts/casting.zip [--input FOLDER]
//     [--clients 8] [--requests 4000] [--seconds 60] [--images 200]
// Without --input it posts the built-in synthetic castings.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Serving;
using CastingDefects.ML.Serving.Api;
using CastingDefects.ML.Serving.Hosting;
using Microsoft.AspNetCore.Builder;

var options = new SampleArgs(args, "--model", "--input", "--clients", "--requests", "--seconds", "--images");
string modelPath = options.Get("--model", "artifacts/casting.zip");
if (!File.Exists(modelPath))
{
    Console.Error.WriteLine($"error: model '{Path.GetFullPath(modelPath)}' not found; run `casting-defects train --out artifacts/casting.zip` first or pass --model.");
    return 2;
}
int clients = options.Int("--clients", 8), requests = options.Int("--requests", 4000), seconds = options.Int("--seconds", 60);
string input = options.Get("--input") ?? CastingDefects.ML.Synthetic.SyntheticCastingGenerator.BuiltInDataset();
var files = Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories).Where(ImageProbe.HasImageExtension)
    .Order(StringComparer.Ordinal).Take(options.Int("--images", 200)).ToArray();
var images = files.Select(File.ReadAllBytes).ToArray();
Console.WriteLine($"1. {images.Length} images from {input} ({images.Average(i => i.Length) / 1024:F1} KB on average), {Environment.ProcessorCount} cores");

// The in-process baseline: the ML.NET engine pool over files (what an app in the same process gets), one thread per core.
double poolRate;
using (var pool = new CastingPredictionPool(modelPath))
{
    Parallel.ForEach(files.Take(50), f => pool.Predict(f)); // warm-up
    int total = Math.Max(files.Length, Math.Min(requests, 2000));
    var clock = Stopwatch.StartNew();
    Parallel.For(0, total, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i => pool.Predict(files[i % files.Length]));
    poolRate = total / clock.Elapsed.TotalSeconds;
}
Console.WriteLine($"2. in-process ML.NET engine pool, {Environment.ProcessorCount} threads: {poolRate:F0} images/s");

// The service on a loopback port, as `casting-defects serve` runs it.
var app = InspectionServer.Build(new CastingModelOptions { ModelPath = modelPath }, new InspectionOptions(), ["http://127.0.0.1:0"]);
await app.StartAsync();
string url = app.Urls.First();
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan }) { BaseAddress = new Uri(url) };
async Task<bool> Post(byte[] image)
{
    using var content = new ByteArrayContent(image);
    content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
    using var response = await http.PostAsync("/api/predict", content);
    await response.Content.ReadAsByteArrayAsync();
    return response.IsSuccessStatusCode;
}
for (int i = 0; i < 100; i++) await Post(images[i % images.Length]); // warm-up: connections, JIT, ONNX Runtime

var latencies = new ConcurrentBag<double>();
int next = -1, errors = 0;
var deadline = TimeSpan.FromSeconds(seconds);
var run = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
{
    int k;
    while ((k = Interlocked.Increment(ref next)) < requests && run.Elapsed < deadline)
    {
        long start = Stopwatch.GetTimestamp();
        bool ok;
        try { ok = await Post(images[k % images.Length]); }
        catch (HttpRequestException) { ok = false; }
        if (!ok) Interlocked.Increment(ref errors);
        latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }
})));
double elapsed = run.Elapsed.TotalSeconds;
await app.StopAsync();
var sorted = latencies.Order().ToArray();
double Percentile(double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
double rate = sorted.Length / elapsed;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"3. serve over HTTP, {clients} concurrent clients: {sorted.Length} requests in {elapsed:F1} s, {rate:F0} images/s ({rate / poolRate:P0} of the in-process pool); latency p50 {Percentile(0.50):F2} ms, p99 {Percentile(0.99):F2} ms, max {sorted[^1]:F2} ms; errors {errors}"));
return errors == 0 ? 0 : 1;
