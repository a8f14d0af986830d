using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using CastingDefects.ML.Evaluation.Reports;

namespace CastingDefects.ML.Tests;

public class EvaluationReportTests
{
    [Fact]
    public void Report_writes_html_markdown_and_charts_that_a_headless_browser_renders()
    {
        using var dir = new TempDir();
        string data = TestImages.Dataset(dir, defective: 6, good: 6, size: 64, seed: 9);
        var files = Directory.GetFiles(data, "*.jpeg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        var labels = files.Select(f => f.Contains("def_front")).ToArray();
        var probabilities = labels.Select((l, i) => l ? (i % 3 == 0 ? 0.3f : 0.8f + i * 0.01f) : (i % 4 == 0 ? 0.7f : 0.1f + i * 0.01f)).ToArray();
        var report = EvaluationReport.ForBinary("paper-gray on test images", files, labels, probabilities, 0.5f, "ok_front", "def_front");
        report.Training = Enumerable.Range(1, 6).Select(e => new TrainingCurve(e, 0.7 / e, 0.6 + e * 0.05, 0.75 / e, 0.55 + e * 0.05, e < 4 ? 1e-3 : 1e-4)).ToList();
        report.Comparisons = [new ReportComparison("augmented test images", report.Metrics)];
        string html = report.Write(dir.Combine("report"));

        foreach (var png in new[] { "training_loss.png", "training_accuracy.png", "learning_rate.png", "confusion_matrix.png", "roc.png", "precision_recall.png", "score_histogram.png" })
        {
            byte[] bytes = File.ReadAllBytes(dir.Combine("report", png));
            Assert.True(bytes.Length > 2000, png);
            using var bitmap = SkiaSharp.SKBitmap.Decode(bytes);
            Assert.True(bitmap.Width >= 400 && bitmap.Height >= 300, png);
        }
        int errors = report.Images.Count(i => i.IsError);
        Assert.True(errors > 0);
        Assert.Equal(errors, Directory.GetFiles(dir.Combine("report", "gallery")).Length);
        string markdown = File.ReadAllText(dir.Combine("report", "report.md"));
        Assert.Contains("| def_front |", markdown);
        Assert.Contains("![ROC curve](roc.png)", markdown);
        string text = File.ReadAllText(html);
        Assert.Equal(7 + errors, Regex.Matches(text, "<img src=\"data:image/png;base64,").Count); // self-contained

        // Load it in headless Chromium and read back the rendered size of every image.
        string? chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);
        if (chromium is null)
        {
            Assert.True(Environment.GetEnvironmentVariable("CASTING_REQUIRE_BROWSER") != "1", "CASTING_REQUIRE_BROWSER=1 but no Chromium: apt-get install chromium (scripts/test.sh does)");
            return;
        }
        var start = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files", "--virtual-time-budget=10000", "--dump-dom", new Uri(html).AbsoluteUri })
            start.ArgumentList.Add(a);
        start.Environment["HOME"] = dir.Path;
        using var process = Process.Start(start)!;
        string dom = process.StandardOutput.ReadToEnd();
        process.WaitForExit(60_000);
        var match = Regex.Match(dom, "data-rendered-images=\"([^\"]*)\"");
        Assert.True(match.Success, "the page did not finish loading in Chromium");
        using var rendered = JsonDocument.Parse(System.Net.WebUtility.HtmlDecode(match.Groups[1].Value));
        var images = rendered.RootElement.EnumerateArray().ToList();
        Assert.Equal(7 + errors, images.Count);
        foreach (var image in images)
        {
            Assert.True(image[1].GetInt32() > 0, $"{image[0]} did not decode");
            Assert.True(image[2].GetInt32() > 0 && image[3].GetInt32() > 0, $"{image[0]} has no size on the page");
        }
        Assert.Contains(images, i => i[0].GetString() == "ROC curve" && i[2].GetInt32() >= 400);
    }
}
