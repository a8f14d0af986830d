using System.Diagnostics;

namespace CastingDefects.ML.Training.Tests;

/// <summary>
/// Issue 2's acceptance as a test: pack the three packages from a copy of the sources, build a console app outside
/// the repository that references the packed training package from a local folder feed and trains a small CNN (on
/// Debian 12 this only works through the package's buildTransitive GLIBCXX step), and install and run the packed
/// .NET tool. Takes a few minutes: the tool package carries libtorch.
/// </summary>
public class PackagingTests
{
    [Fact]
    public void Packed_packages_restore_build_train_and_the_tool_installs_and_runs()
    {
        string repo = RepoRoot();
        using var dir = new TempDir();
        string version = "0.1.0-ci." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);
        string source = dir.Combine("source"), feed = dir.Combine("feed");
        CopyTree(Path.Combine(repo, "src"), Path.Combine(source, "src"));
        CopyTree(Path.Combine(repo, "nuget"), Path.Combine(source, "nuget"));
        foreach (var file in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "LICENSE", "README.md" })
            File.Copy(Path.Combine(repo, file), Path.Combine(source, file));
        try
        {
            foreach (var project in new[] { "CastingDefects.ML", "CastingDefects.ML.Reports", "CastingDefects.ML.Training", "CastingDefects.ML.Serving", "CastingDefects.Cli" })
                Dotnet(source, "pack", Path.Combine("src", project), "-c", "Release", "-o", feed, $"-p:Version={version}");
            // Every package under the public gallery's 250 MB, each as small as its job allows; symbols beside the libraries.
            const long Gallery = 250L * 1000 * 1000;
            var sizes = Directory.GetFiles(feed, "*.nupkg").ToDictionary(f => Path.GetFileName(f), f => new FileInfo(f).Length);
            Assert.All(sizes, kv => Assert.True(kv.Value < Gallery, $"{kv.Key} is {kv.Value / 1e6:F0} MB"));
            Assert.InRange(sizes[$"CastingDefects.ML.{version}.nupkg"], 1, 1_000_000);
            Assert.InRange(sizes[$"CastingDefects.ML.Reports.{version}.nupkg"], 1, 1_000_000);
            Assert.InRange(sizes[$"CastingDefects.ML.Training.{version}.nupkg"], 1, 1_000_000); // the ResNet18 comes from its own package
            // A predict-only app carries no plotting: the core package depends on neither OxyPlot nor HarfBuzz; the reports package does.
            string Nuspec(string id)
            {
                using var package = System.IO.Compression.ZipFile.OpenRead(Path.Combine(feed, $"{id}.{version}.nupkg"));
                using var reader = new StreamReader(package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
                return reader.ReadToEnd();
            }
            Assert.DoesNotContain("OxyPlot", Nuspec("CastingDefects.ML"));
            Assert.DoesNotContain("HarfBuzz", Nuspec("CastingDefects.ML"));
            Assert.Contains("OxyPlot.SkiaSharp", Nuspec("CastingDefects.ML.Reports"));
            Assert.Contains("CastingDefects.ML.Reports", Nuspec("CastingDefects.ML.Training"));
            Assert.InRange(sizes[$"CastingDefects.ML.Serving.{version}.nupkg"], 1, 1_000_000); // ASP.NET Core comes with the runtime
            Assert.InRange(sizes[$"CastingDefects.Cli.{version}.nupkg"], 1, 100_000);           // points to the per-runtime packages
            foreach (var rid in new[] { "linux-x64", "win-x64", "osx-arm64" })
                Assert.True(sizes.ContainsKey($"CastingDefects.Cli.{rid}.{version}.nupkg"), $"no tool package for {rid}");
            Assert.True(File.Exists(Path.Combine(feed, $"CastingDefects.ML.{version}.snupkg")));
            Assert.True(File.Exists(Path.Combine(feed, $"CastingDefects.ML.Training.{version}.snupkg")));
            Assert.True(File.Exists(Path.Combine(feed, $"CastingDefects.ML.Reports.{version}.snupkg")));
            Assert.True(File.Exists(Path.Combine(feed, $"CastingDefects.ML.Serving.{version}.snupkg")));
            using (var tool = System.IO.Compression.ZipFile.OpenRead(Path.Combine(feed, $"CastingDefects.Cli.linux-x64.{version}.nupkg")))
            {
                var names = tool.Entries.Select(e => e.FullName).ToList();
                Assert.Single(names, n => n.EndsWith("ResNet18.onnx", StringComparison.Ordinal));
                Assert.DoesNotContain(names, n => n.Contains("libtorch_python", StringComparison.Ordinal) || n.Contains("_test.so", StringComparison.Ordinal)
                    || n.EndsWith(".dbg", StringComparison.Ordinal) || n.Contains("/win-x64/", StringComparison.Ordinal) || n.Contains(".xcframework", StringComparison.Ordinal) || n.EndsWith(".aar", StringComparison.Ordinal));
                Assert.Contains(names, n => n.EndsWith("CastingDefects.Cli.md", StringComparison.Ordinal));
            }

            string app = dir.Combine("consumer");
            Directory.CreateDirectory(app);
            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="local" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            WriteProject(Path.Combine(app, "consumer.csproj"), "CastingDefects.ML.Training", version);
            File.WriteAllText(Path.Combine(app, "Program.cs"), """
                using CastingDefects.ML.Training.Data;
                using CastingDefects.ML.Training.Layers;
                using CastingDefects.ML.Training.Models;

                var random = new Random(1);
                int n = 32, size = 64;
                var pixels = new float[n * size * size];
                for (int i = 0; i < pixels.Length; i++) pixels[i] = (float)random.NextDouble();
                var labels = Enumerable.Range(0, n).Select(i => i % 2 == 0).ToArray();
                var data = ImageTensorData.FromArrays(new TensorShape(1, size, size), pixels, labels);
                using var model = CastingArchitectures.Paper(grayscale: true, imageSize: size);
                var history = model.Fit(data, epochs: 2, batchSize: 8);
                Console.WriteLine($"trained {history.Epochs.Count} epochs, loss {history.Epochs[^1].Loss:F4}, params {model.CountParameters().Total}");
                """);
            string output = Dotnet(app, "run", "-c", "Release");
            Assert.Contains("trained 2 epochs", output);
            Assert.Contains("params 5577", output);

            // Every C# block of the README compiles as written against the packed packages: blocks that use the training
            // package against it, the service's against the serving package, the others (the factory PC's) against the core package alone.
            var blocks = ReadmeBlocks(Path.Combine(repo, "README.md"));
            Assert.True(blocks.Count >= 5, $"{blocks.Count} C# blocks in the README");
            foreach (var (package, group) in blocks.GroupBy(b => b.Contains("CastingDefects.ML.Training", StringComparison.Ordinal) ? "CastingDefects.ML.Training"
                             : b.Contains("CastingDefects.ML.Serving", StringComparison.Ordinal) ? "CastingDefects.ML.Serving" : "CastingDefects.ML")
                         .Select(g => (g.Key, g.ToList())))
            {
                string project = dir.Combine("readme-" + package);
                Directory.CreateDirectory(project);
                File.Copy(Path.Combine(app, "nuget.config"), Path.Combine(project, "nuget.config"));
                // Warnings as errors, as a careful user builds; unused locals of the snippets are fine, and so is NU1603
                // (the feed served here lacks a few exact dependency versions, e.g. prometheus-net's Microsoft.Extensions.Http
                // 3.1.0, and resolves the next one: the repository's own build allows it the same way).
                WriteProject(Path.Combine(project, "readme.csproj"), package, version,
                    "<TreatWarningsAsErrors>true</TreatWarningsAsErrors><WarningsNotAsErrors>NU1603</WarningsNotAsErrors><NoWarn>CS0168;CS0219;CS8321</NoWarn>");
                File.WriteAllText(Path.Combine(project, "Program.cs"), "System.Console.WriteLine(\"README blocks compiled\");\n");
                for (int i = 0; i < group.Count; i++)
                {
                    var lines = group[i].Split('\n');
                    // using directives move out of the method; using declarations ("using var x = ...") stay in it.
                    static bool Directive(string l) => l.StartsWith("using ", StringComparison.Ordinal) && !l.StartsWith("using var ", StringComparison.Ordinal) && !l.StartsWith("using (", StringComparison.Ordinal);
                    var usings = lines.Where(Directive);
                    var body = lines.Where(l => !Directive(l));
                    // A block that declares a type (a custom layer) is a file of its own; the others are statements.
                    bool declaresTypes = body.Any(l => l.StartsWith("public sealed class ", StringComparison.Ordinal) || l.StartsWith("public class ", StringComparison.Ordinal));
                    File.WriteAllText(Path.Combine(project, $"Block{i}.cs"), declaresTypes ? group[i]
                        : string.Join("\n", usings) + $"\n\ninternal static class ReadmeBlock{i}\n{{\n    public static void Run()\n    {{\n" + string.Join("\n", body) + "\n    }\n}\n");
                }
                Dotnet(project, "build", "-c", "Release");
            }

            string tools = dir.Combine("tools");
            Dotnet(dir.Path, "tool", "install", "--tool-path", tools, "--add-source", feed, "CastingDefects.Cli", "--version", version);
            string help = Run(Path.Combine(tools, "casting-defects"), dir.Path, "--help");
            foreach (var command in new[] { "train", "evaluate", "predict", "summary", "audit", "serve" }) Assert.Contains(command, help);
            string summary = Run(Path.Combine(tools, "casting-defects"), dir.Path, "summary", "--arch", "paper", "--json");
            Assert.Contains("\"total_params\": 5865", summary);
            // The installed tool trains (libtorch loads from the per-runtime package; on Debian 12 through the GLIBCXX step).
            string trained = Run(Path.Combine(tools, "casting-defects"), dir.Path, "train", "--out", Path.Combine(dir.Path, "tool-model", "m.zip"),
                "--image-size", "64", "--epochs", "1", "--json");
            Assert.Contains("\"epochs_run\": 1", trained);
        }
        finally
        {
            // Leave no test versions in the NuGet cache.
            string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            foreach (var id in new[] { "castingdefects.ml", "castingdefects.ml.reports", "castingdefects.ml.training", "castingdefects.ml.serving", "castingdefects.cli", "castingdefects.cli.linux-x64", "castingdefects.cli.win-x64", "castingdefects.cli.osx-arm64" })
            {
                string folder = Path.Combine(cache, id, version);
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary>A console app project that references one packed package.</summary>
    private static void WriteProject(string path, string package, string version, string extraProperties = "") =>
        File.WriteAllText(path, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                {extraProperties}
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="{package}" Version="{version}" />
              </ItemGroup>
            </Project>
            """);

    /// <summary>The ```csharp blocks of a markdown file.</summary>
    private static List<string> ReadmeBlocks(string path)
    {
        var blocks = new List<string>();
        List<string>? current = null;
        foreach (var line in File.ReadLines(path))
        {
            if (current is null && line.Trim() == "```csharp") current = [];
            else if (current is not null && line.Trim() == "```") { blocks.Add(string.Join("\n", current)); current = null; }
            else current?.Add(line);
        }
        return blocks;
    }

    internal static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "CastingDefects.ML.sln"))) return d.FullName;
        throw new InvalidOperationException("repository root (CastingDefects.ML.sln) not found above " + AppContext.BaseDirectory);
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(from, file);
            var parts = relative.Split(Path.DirectorySeparatorChar);
            if (parts.Contains("bin") || parts.Contains("obj")) continue;
            string target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static string Dotnet(string workingDirectory, params string[] args) => Run("dotnet", workingDirectory, args);

    private static string Run(string fileName, string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo(fileName) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        // A clean environment for the child build: no MSBuild state inherited from the test host's own build.
        foreach (var key in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "VSTEST_HOST_DEBUG" }) info.Environment.Remove(key);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10))) { p.Kill(entireProcessTree: true); throw new TimeoutException($"{fileName} {string.Join(' ', args)} timed out"); }
        string output = stdout.Result + stderr.Result;
        Assert.True(p.ExitCode == 0, $"{fileName} {string.Join(' ', args)} exited {p.ExitCode}:\n{output}");
        return output;
    }
}
