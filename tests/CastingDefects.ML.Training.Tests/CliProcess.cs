using System.Diagnostics;

namespace CastingDefects.ML.Training.Tests;

/// <summary>Runs the casting-defects CLI (built next to the tests) in a child process.</summary>
public static class CliProcess
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "casting-defects.dll");

    public static Process Start(params string[] args) => Start(null, args);

    /// <summary>Starts the CLI with extra environment variables (for example its own TMPDIR).</summary>
    public static Process Start(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        info.ArgumentList.Add(Dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        return Process.Start(info) ?? throw new InvalidOperationException("could not start the CLI");
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] args) => Run(null, args);

    /// <summary>Runs the CLI with extra environment variables.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var p = Start(environment, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(entireProcessTree: true); throw new TimeoutException("CLI did not finish: " + string.Join(' ', args)); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// Runs the CLI and reads its peak resident memory (VmHWM in /proc, Linux) while it runs; the high-water mark only
    /// grows, so its last reading before exit is the peak.
    /// </summary>
    public static (int ExitCode, string Stdout, string Stderr, long PeakBytes) RunMeasured(params string[] args)
    {
        using var p = Start(args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        long peak = 0;
        var clock = Stopwatch.StartNew();
        while (!p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(5))
        {
            try
            {
                foreach (var line in File.ReadLines($"/proc/{p.Id}/status"))
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                        peak = Math.Max(peak, long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024);
            }
            catch (IOException) { } // exited between the check and the read
            Thread.Sleep(10);
        }
        if (!p.WaitForExit(TimeSpan.FromSeconds(10))) { p.Kill(entireProcessTree: true); throw new TimeoutException("CLI did not finish: " + string.Join(' ', args)); }
        return (p.ExitCode, stdout.Result, stderr.Result, peak);
    }
}
