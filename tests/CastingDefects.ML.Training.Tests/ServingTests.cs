using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Serving;
using CastingDefects.ML.Serving.Hosting;
using CastingDefects.ML.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;
using Xunit;

namespace CastingDefects.ML.Training.Tests;

/// <summary>The inspection service's API in-process: answers, errors, limits, API key, hot swap, metrics, OpenAPI.</summary>
public sealed class ServingTests
{
    private static ByteArrayContent Image(byte[] bytes, string contentType = "image/png")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return content;
    }

    private static MultipartFormDataContent Files(params (string Name, byte[] Bytes)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, bytes) in files) form.Add(Image(bytes), "files", name);
        return form;
    }

    private static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    [Fact]
    public async Task A_raw_image_gets_the_verdict_and_probability_the_model_gives_in_process()
    {
        await using var host = await ServingHost.StartAsync(ServingHost.Model);
        using var model = CastingOnnxModel.Load(ServingHost.Model, intraOpThreads: 1);
        for (int i = 0; i < 6; i++)
        {
            byte[] png = ServingHost.Casting(i, defective: i % 2 == 0);
            var expected = model.Classify(png, "x");
            var response = await host.Client.PostAsync("/api/predict", Image(png));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var json = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(expected.Verdict, json.GetProperty("verdict").GetString());
            Assert.Equal(expected.Probability, json.GetProperty("probability").GetSingle(), 6);
            Assert.Equal(model.Threshold, json.GetProperty("threshold").GetSingle());
            Assert.Equal(12, json.GetProperty("modelId").GetString()!.Length);
            Assert.Equal(1, json.GetProperty("modelVersion").GetInt32());
            Assert.True(json.GetProperty("milliseconds").GetDouble() > 0);
            Assert.Equal(JsonValueKind.Null, json.GetProperty("heatmap").ValueKind);
        }
        var stats = await host.Client.GetFromJsonAsync<JsonElement>("/api/stats");
        Assert.Equal(6, stats.GetProperty("images").GetInt64());
        Assert.Equal(6, stats.GetProperty("latest").GetArrayLength());
    }

    [Fact]
    public async Task Several_files_in_one_request_come_back_in_order_with_their_names_and_heatmaps()
    {
        await using var host = await ServingHost.StartAsync(ServingHost.Model);
        using var model = CastingOnnxModel.Load(ServingHost.Model, intraOpThreads: 1);
        var files = Enumerable.Range(0, 5).Select(i => ($"part {i}.png", ServingHost.Casting(20 + i, i < 2))).ToArray();
        var response = await host.Client.PostAsync("/api/predict?heatmap=true", Files(files));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(files.Select(f => f.Item1), results.Select(r => r.GetProperty("file").GetString()));
        for (int i = 0; i < files.Length; i++)
        {
            var expected = model.Classify(files[i].Item2, "x", heatmap: true);
            var heatmap = results[i].GetProperty("heatmap");
            Assert.Equal(expected.Heatmap!.PeakX, heatmap.GetProperty("peakX").GetInt32());
            Assert.Equal(expected.Heatmap.PeakY, heatmap.GetProperty("peakY").GetInt32());
            string png = heatmap.GetProperty("png").GetString()!;
            Assert.StartsWith("data:image/png;base64,", png);
            using var bitmap = SKBitmap.Decode(Convert.FromBase64String(png["data:image/png;base64,".Length..]));
            Assert.Equal((64, 64), (bitmap.Width, bitmap.Height));
            // The hottest cell of the map is the most opaque pixel of the PNG.
            Assert.Equal(bitmap.Pixels.Max(p => p.Alpha), bitmap.GetPixel(expected.Heatmap.PeakX, expected.Heatmap.PeakY).Alpha);
        }
    }

    [Fact]
    public async Task Bad_requests_get_a_problem_details_naming_the_problem_and_the_service_keeps_answering()
    {
        await using var host = await ServingHost.StartAsync(ServingHost.Model, o => { o.MaxRequestBytes = 200_000; o.MaxFilesPerRequest = 3; });
        var client = host.Client;
        byte[] jpeg = ServingHost.Casting(1, true, 160, SKEncodedImageFormat.Jpeg);

        var notImage = await Problem(await client.PostAsync("/api/predict", Files(("notes.png", "hello, not an image"u8.ToArray()))), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("notes.png", notImage.GetProperty("detail").GetString());
        var truncated = await Problem(await client.PostAsync("/api/predict", Files(("cut.jpg", jpeg[..(jpeg.Length / 2)]))), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("cut.jpg", truncated.GetProperty("detail").GetString());
        Assert.Contains("truncated", truncated.GetProperty("detail").GetString());
        var bomb = await Problem(await client.PostAsync("/api/predict", Image(BombImages.JpegClaiming(60000), "image/jpeg")), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("refused before decoding", bomb.GetProperty("detail").GetString());
        var large = await Problem(await client.PostAsync("/api/predict", Image(new byte[300_000], "image/jpeg")), HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("200,000", large.GetProperty("detail").GetString());
        await Problem(await client.PostAsync("/api/predict", Files(("big.jpg", new byte[300_000]))), HttpStatusCode.RequestEntityTooLarge);
        // Without a Content-Length (chunked), the body is cut off as it streams in.
        var unsized = await Problem(await client.PostAsync("/api/predict", new UnsizedContent(new byte[300_000], "image/jpeg")), HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("200,000", unsized.GetProperty("detail").GetString());
        var many = await Problem(await client.PostAsync("/api/predict", Files(Enumerable.Range(0, 4).Select(i => ($"{i}.jpg", jpeg)).ToArray())), HttpStatusCode.BadRequest);
        Assert.Contains("At most 3", many.GetProperty("detail").GetString());
        var text = await Problem(await client.PostAsync("/api/predict", new StringContent("hello")), HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("text/plain", text.GetProperty("detail").GetString());
        await Problem(await client.PostAsync("/api/predict", Image([], "image/png")), HttpStatusCode.BadRequest);
        await Problem(await client.GetAsync("/no/such/page"), HttpStatusCode.NotFound);

        var ok = await client.PostAsync("/api/predict", Image(jpeg, "image/jpeg"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        string metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("casting_requests_total{endpoint=\"predict\",status=\"422\"} 3", metrics);
        Assert.Contains("casting_requests_total{endpoint=\"predict\",status=\"413\"} 3", metrics);
        Assert.Contains("casting_requests_total{endpoint=\"predict\",status=\"200\"} 1", metrics);
    }

    [Fact]
    public async Task With_an_api_key_the_api_and_metrics_need_it_and_the_page_and_health_stay_open()
    {
        const string key = "0123456789abcdef-line-3";
        await using var host = await ServingHost.StartAsync(ServingHost.Model, o => o.ApiKey = key);
        byte[] png = ServingHost.Casting(3, false);
        await Problem(await host.Client.PostAsync("/api/predict", Image(png)), HttpStatusCode.Unauthorized);
        await Problem(await host.Client.GetAsync("/metrics"), HttpStatusCode.Unauthorized);
        var wrong = new HttpRequestMessage(HttpMethod.Post, "/api/predict") { Content = Image(png) };
        wrong.Headers.Add("X-Api-Key", key[..^1] + "4"); // same length, last character differs
        await Problem(await host.Client.SendAsync(wrong), HttpStatusCode.Unauthorized);
        var right = new HttpRequestMessage(HttpMethod.Post, "/api/predict") { Content = Image(png) };
        right.Headers.Add("X-Api-Key", key);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.SendAsync(right)).StatusCode);
        var bearer = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.SendAsync(bearer)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/healthz")).StatusCode);
        Assert.Contains("<title>Casting inspection</title>", await host.Client.GetStringAsync("/"));
    }

    [Fact]
    public async Task Replacing_the_model_file_swaps_the_model_without_failing_a_request_and_a_bad_file_is_refused()
    {
        using var dir = new TempDir();
        string path = dir.Combine("model.zip");
        File.Copy(ServingHost.Model, path);
        await using var host = await ServingHost.StartAsync(path);
        var first = await host.Client.GetFromJsonAsync<JsonElement>("/api/model");
        byte[] png = ServingHost.Casting(5, true);

        // Clients keep posting while the file is replaced the way evaluate --save-model writes it (beside, then renamed over).
        using var stop = new CancellationTokenSource();
        var failures = new List<string>();
        var seenIds = new HashSet<string>();
        var load = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var response = await host.Client.PostAsync("/api/predict", Image(png));
                if (response.StatusCode != HttpStatusCode.OK) { string body = await response.Content.ReadAsStringAsync(); lock (failures) failures.Add(body); continue; }
                var json = await response.Content.ReadFromJsonAsync<JsonElement>();
                lock (seenIds) seenIds.Add($"{json.GetProperty("modelId").GetString()} v{json.GetProperty("modelVersion").GetInt32()}");
            }
        });
        await Task.Delay(300);
        File.Copy(ServingHost.OtherModel, path + ".new");
        File.Move(path + ".new", path, overwrite: true);
        var second = await WaitForVersion(host, 2);
        Assert.NotEqual(first.GetProperty("id").GetString(), second.GetProperty("id").GetString());
        using (var other = CastingOnnxModel.Load(ServingHost.OtherModel))
            Assert.Equal(other.Classify(png, "x").Probability,
                (await (await host.Client.PostAsync("/api/predict", Image(png))).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("probability").GetSingle(), 6);

        // A broken file (cut short) is refused: the second model keeps serving and the health check says why.
        byte[] broken = File.ReadAllBytes(ServingHost.Model)[..5000];
        File.WriteAllBytes(path + ".new", broken);
        File.Move(path + ".new", path, overwrite: true);
        JsonElement health = default;
        for (int i = 0; i < 100; i++)
        {
            health = await host.Client.GetFromJsonAsync<JsonElement>("/healthz");
            if (health.GetProperty("lastReloadError").ValueKind == JsonValueKind.String) break;
            await Task.Delay(100);
        }
        Assert.Contains("model.zip", health.GetProperty("lastReloadError").GetString());
        Assert.Equal(2, health.GetProperty("model").GetProperty("version").GetInt32());
        await Task.Delay(300);
        stop.Cancel();
        await load;
        Assert.Empty(failures);
        Assert.Contains($"{first.GetProperty("id").GetString()} v1", seenIds);
        Assert.Contains($"{second.GetProperty("id").GetString()} v2", seenIds);
        Assert.Equal(2, seenIds.Count);
        string metrics = await host.Client.GetStringAsync("/metrics");
        Assert.Contains("casting_model_reloads_refused_total 1", metrics);
        Assert.Contains("casting_model_version 2", metrics);
    }

    private static async Task<JsonElement> WaitForVersion(ServingHost host, int version)
    {
        for (int i = 0; i < 150; i++)
        {
            var model = await host.Client.GetFromJsonAsync<JsonElement>("/api/model");
            if (model.GetProperty("version").GetInt32() == version) return model;
            await Task.Delay(100);
        }
        throw new TimeoutException($"the model did not reach version {version} within 15 s");
    }

    [Fact]
    public async Task A_bad_model_file_fails_the_start_naming_it()
    {
        using var dir = new TempDir();
        string path = dir.Combine("broken.zip");
        File.WriteAllBytes(path, File.ReadAllBytes(ServingHost.Model)[..5000]);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => ServingHost.StartAsync(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public async Task The_predictor_serves_a_users_own_app_from_many_threads_with_the_sequential_answers()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddCastingModel(ServingHost.Model, o => o.ReloadOnChange = false);
        await using var app = builder.Build();
        app.MapPost("/inspect", async (HttpRequest request, CastingModelPredictor predictor) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            var p = predictor.Predict(body.ToArray(), "frame");
            return Results.Text($"{p.Result.Verdict} {p.Result.Probability:R}");
        });
        await app.StartAsync();
        using var client = app.GetTestClient();
        var images = Enumerable.Range(0, 16).Select(i => ServingHost.Casting(40 + i, i % 3 == 0)).ToArray();
        var predictor = app.Services.GetRequiredService<CastingModelPredictor>();
        var sequential = images.Select(b => { var r = predictor.Predict(b, "x").Result; return $"{r.Verdict} {r.Probability:R}"; }).ToArray();
        var parallel = await Task.WhenAll(Enumerable.Range(0, 8 * images.Length).Select(async k =>
            (k % images.Length, await (await client.PostAsync("/inspect", new ByteArrayContent(images[k % images.Length]))).Content.ReadAsStringAsync())));
        foreach (var (index, answer) in parallel) Assert.Equal(sequential[index], answer);
        Assert.Contains(sequential, s => s.StartsWith("NG", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_openapi_document_describes_predict_with_its_bodies_and_problems()
    {
        await using var host = await ServingHost.StartAsync(ServingHost.Model);
        var doc = await host.Client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var post = doc.GetProperty("paths").GetProperty("/api/predict").GetProperty("post");
        var content = post.GetProperty("requestBody").GetProperty("content");
        Assert.True(content.TryGetProperty("multipart/form-data", out _));
        Assert.True(content.TryGetProperty("image/jpeg", out _));
        foreach (var status in new[] { "200", "400", "401", "413", "415", "422", "503" })
            Assert.True(post.GetProperty("responses").TryGetProperty(status, out _), status);
    }

    /// <summary>A body whose length is not known in advance (sent chunked).</summary>
    private sealed class UnsizedContent : HttpContent
    {
        private readonly byte[] _bytes;

        public UnsizedContent(byte[] bytes, string contentType)
        {
            _bytes = bytes;
            Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(_bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Theory]
    [InlineData("http://127.0.0.1:5080", true)]
    [InlineData("http://localhost:5080", true)]
    [InlineData("http://[::1]:5080;http://127.0.0.2:80", true)]
    [InlineData("http://0.0.0.0:5080", false)]
    [InlineData("http://*:5080", false)]
    [InlineData("http://+:5080", false)]
    [InlineData("http://192.168.1.20:5080", false)]
    [InlineData("http://127.0.0.1:5080;http://10.0.0.1:5080", false)]
    public void Only_loopback_addresses_may_listen_without_a_key(string urls, bool loopback) =>
        Assert.Equal(loopback, InspectionServer.IsLoopbackOnly(urls.Split(';')));
}
