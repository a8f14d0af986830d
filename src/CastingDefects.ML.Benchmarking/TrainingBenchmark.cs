using System.Diagnostics;
using System.Text.Json;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;

namespace CastingDefects.ML.Benchmarking;

/// <summary>Training throughput of one configuration.</summary>
/// <param name="Framework">"casting-defects" (TorchSharp) or "pytorch" (the reference).</param>
/// <param name="Version">The framework's version (PyTorch's, or TorchSharp's).</param>
/// <param name="ImageSize">Input width and height (gray).</param>
/// <param name="Threads">Intra-op threads.</param>
/// <param name="Batch">Batch size.</param>
/// <param name="Images">Images in the timed epoch.</param>
/// <param name="Seconds">Time of the fastest timed epoch.</param>
public sealed record TrainingThroughput(string Framework, string Version, int ImageSize, int Threads, int Batch, int Images, double Seconds)
{
    /// <summary>Training images per second.</summary>
    public double ImagesPerSecond => Images / Seconds;
}

/// <summary>
/// Training throughput of the paper's CNN (gray, Adam, binary cross-entropy), measured the same way here and in
/// PyTorch: a warm-up epoch, then <see cref="TimedEpochs"/> timed epochs of training steps (shuffle, batch, forward,
/// loss, backward, step) over random images, of which the fastest counts (as Python's <c>timeit</c> advises: slower
/// repeats measure other load on the machine, not the code); no validation and no BatchNorm recalibration pass
/// (PyTorch's loop has none).
/// </summary>
public static class TrainingBenchmark
{
    /// <summary>Timed epochs after the warm-up; the fastest counts.</summary>
    public const int TimedEpochs = 3;

    /// <summary>This library (TorchSharp) on <paramref name="images"/> random images.</summary>
    public static TrainingThroughput Measure(int imageSize, int threads, int images = 512, int batch = 32)
    {
        var random = new Random(1);
        var pixels = new float[(long)images * imageSize * imageSize];
        for (long i = 0; i < pixels.LongLength; i++) pixels[i] = (float)random.NextDouble();
        var data = ImageTensorData.FromArrays(new TensorShape(1, imageSize, imageSize), pixels, Enumerable.Range(0, images).Select(i => i % 2 == 0).ToArray());
        using var model = CastingArchitectures.Paper(grayscale: true, imageSize);
        var options = new FitOptions { Threads = threads, Seed = 1, BatchNormRecalibrationSamples = 0 };
        model.Fit(data, epochs: 1, batchSize: batch, options: options); // warm-up
        double fastest = double.MaxValue;
        for (int epoch = 0; epoch < TimedEpochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            model.Fit(data, epochs: 1, batchSize: batch, options: options);
            fastest = Math.Min(fastest, clock.Elapsed.TotalSeconds);
        }
        string version = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString(3) ?? "?";
        return new TrainingThroughput("casting-defects", "TorchSharp " + version, imageSize, threads, batch, images, fastest);
    }

    /// <summary>
    /// The PyTorch reference (the embedded script <c>paper_cnn_training.py</c>, the same network, batch and loss) run
    /// with <paramref name="python"/>, or when it is null with the first of <c>python3</c> on the PATH and Debian's
    /// <c>/usr/bin/python3</c> (where <c>apt-get install python3-torch</c> puts PyTorch) that has PyTorch; null with
    /// <paramref name="why"/> when none has.
    /// </summary>
    public static TrainingThroughput? MeasurePyTorch(int imageSize, int threads, int images, int batch, out string? why, string? python = null)
    {
        string script = Path.Combine(Path.GetTempPath(), $"casting-defects-paper_cnn_training-{Environment.ProcessId}.py");
        try
        {
            using (var resource = typeof(TrainingBenchmark).Assembly.GetManifestResourceStream("paper_cnn_training.py")
                ?? throw new InvalidOperationException("The PyTorch reference script is not embedded in the benchmarking assembly."))
            using (var file = File.Create(script)) resource.CopyTo(file);
            var reasons = new List<string>();
            var interpreters = python is not null ? [python] : new[] { "python3", "/usr/bin/python3" }.Distinct().ToArray();
            foreach (string interpreter in interpreters)
            {
                var result = RunReference(interpreter, script, imageSize, threads, images, batch, out string? reason);
                if (result is not null)
                {
                    why = null;
                    return result;
                }
                reasons.Add(reason!);
            }
            why = string.Join("; ", reasons);
            return null;
        }
        finally
        {
            File.Delete(script);
        }
    }

    static TrainingThroughput? RunReference(string python, string script, int imageSize, int threads, int images, int batch, out string? why)
    {
        try
        {
            var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { script, imageSize.ToString(), threads.ToString(), images.ToString(), batch.ToString(), TimedEpochs.ToString() }) start.ArgumentList.Add(argument);
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                string message = error.GetAwaiter().GetResult();
                why = message.Contains("No module named 'torch'", StringComparison.Ordinal)
                    ? $"PyTorch is not installed for {python} (Debian: apt-get install python3-torch)"
                    : $"{python} {Path.GetFileName(script)} failed: {message.Trim().Split('\n').LastOrDefault()}";
                return null;
            }
            using var json = JsonDocument.Parse(output.Trim().Split('\n').Last());
            var root = json.RootElement;
            why = null;
            return new TrainingThroughput("pytorch", "PyTorch " + root.GetProperty("version").GetString(), imageSize, threads, batch, images, root.GetProperty("seconds").GetDouble());
        }
        catch (System.ComponentModel.Win32Exception)
        {
            why = $"'{python}' was not found";
            return null;
        }
    }
}
