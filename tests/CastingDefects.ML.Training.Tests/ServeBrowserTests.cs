using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Testing;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using Xunit;

namespace CastingDefects.ML.Training.Tests;

/// <summary>
/// <c>casting-defects serve</c> as an operator meets it: the real tool on a loopback port, its page opened in headless
/// Chromium (Debian's chromium and chromium-driver, driven by Selenium), an image picked, the verdict read off the page.
/// </summary>
public sealed class ServeBrowserTests
{
    [Fact]
    public async Task The_page_shows_the_verdict_of_an_uploaded_image()
    {
        string? chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);
        string? driverPath = new[] { "/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver" }.FirstOrDefault(File.Exists);
        if (chromium is null || driverPath is null)
        {
            Assert.True(Environment.GetEnvironmentVariable("CASTING_REQUIRE_BROWSER") != "1",
                "CASTING_REQUIRE_BROWSER=1 but no chromium / chromedriver: apt-get install chromium chromium-driver (scripts/test.sh does)");
            return;
        }
        using var dir = new TempDir();
        string model = dir.Combine("line.zip");
        File.Copy(ServingHost.Model, model);
        string image = dir.Combine("frame 1.png");
        File.WriteAllBytes(image, ServingHost.Casting(7, defective: true, size: 120));
        ImageClassification expected;
        using (var network = CastingOnnxModel.Load(model)) expected = network.Classify(File.ReadAllBytes(image), "x", heatmap: true);

        int port = FreePort();
        using var server = CliProcess.Start("serve", "--model", model, "--urls", $"http://127.0.0.1:{port}");
        var serverErrors = server.StandardError.ReadToEndAsync();
        _ = server.StandardOutput.ReadToEndAsync();
        try
        {
            await WaitUntilHealthyAsync(port, server);
            var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driverPath)!, Path.GetFileName(driverPath));
            service.HideCommandPromptWindow = true;
            service.SuppressInitialDiagnosticInformation = true;
            var options = new ChromeOptions { BinaryLocation = chromium };
            options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", $"--user-data-dir={dir.Combine("profile")}");
            using var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
            var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(30));
            // The page redraws its counters and table when it polls: an element found before a redraw is stale after it.
            wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException));
            driver.Navigate().GoToUrl($"http://127.0.0.1:{port}/");
            wait.Until(d => d.FindElement(By.Id("model")).Text.Contains("paper-gray", StringComparison.Ordinal));

            driver.FindElement(By.Id("files")).SendKeys(image);
            var card = wait.Until(d => d.FindElements(By.CssSelector("#results .result")).FirstOrDefault());
            Assert.Equal(expected.Verdict, card.FindElement(By.CssSelector(".verdict")).Text);
            Assert.Contains(expected.Probability.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture), card.FindElement(By.CssSelector(".probability")).Text);
            Assert.Equal("frame 1.png", card.FindElement(By.CssSelector(".file")).Text);
            // The image and its heatmap are drawn (decoded by the browser, with a size on the page).
            foreach (var img in card.FindElements(By.TagName("img")))
                Assert.True(Convert.ToInt64(((IJavaScriptExecutor)driver).ExecuteScript("return arguments[0].naturalWidth * arguments[0].clientWidth;", img)) > 0);
            Assert.Equal(2, card.FindElements(By.TagName("img")).Count);
            // The service-wide counters follow.
            string counter = expected.Verdict == "NG" ? "count-ng" : "count-ok";
            wait.Until(d => d.FindElement(By.Id(counter)).Text == "1" && d.FindElement(By.Id("count-total")).Text == "1");
            // One row naming the file, read in one step (the table may be redrawn between two reads).
            wait.Until(d => d.FindElements(By.CssSelector("#latest tbody tr")) is { Count: 1 } rows && rows[0].Text.Contains("frame 1.png", StringComparison.Ordinal));
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
            server.WaitForExit(10_000);
        }
        Assert.DoesNotContain("Unhandled", await serverErrors);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static async Task WaitUntilHealthyAsync(int port, Process server)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (server.HasExited) throw new InvalidOperationException($"serve exited with {server.ExitCode}");
            try
            {
                if ((await client.GetAsync($"http://127.0.0.1:{port}/healthz")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException("serve did not become healthy within 90 s");
    }
}
