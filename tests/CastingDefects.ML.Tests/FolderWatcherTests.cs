using CastingDefects.ML.Inference;
using CastingDefects.ML.Synthetic;
using CastingDefects.ML.Testing;
using SkiaSharp;
using Xunit;

namespace CastingDefects.ML.Tests;

/// <summary>
/// <c>predict --watch</c>'s engine: every image that lands in the folder is classified exactly once, never while it is
/// still being written, and a restart (Ctrl-C, or a crash at any point) repeats and loses nothing.
/// </summary>
public sealed class FolderWatcherTests
{
    private static string Model => Path.Combine(AppContext.BaseDirectory, "assets", "paper-gray-64.zip");

    private static byte[] Casting(int index)
    {
        using var bitmap = SyntheticCastingGenerator.Render(5, index, index % 3 == 0, 80, 2f, out _);
        using var data = bitmap.Encode(index % 2 == 0 ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png, 90);
        return data.ToArray();
    }

    private static Dictionary<string, string[]> Rows(string results) =>
        File.ReadAllLines(results).Skip(1).Select(l => l.Split(',')).GroupBy(f => Path.GetFileName(f[0])).ToDictionary(g => g.Key, g => g.First());

    [Fact]
    public async Task Five_hundred_images_written_slowly_and_in_bursts_are_each_classified_once_across_a_restart()
    {
        using var dir = new TempDir();
        string inbox = dir.Combine("inbox");
        Directory.CreateDirectory(inbox);
        using var model = CastingOnnxModel.Load(Model, intraOpThreads: 1);
        const int total = 500;
        var images = Enumerable.Range(0, total).Select(Casting).ToArray();
        var expected = images.Select(b => model.Classify(b, "x")).ToArray();
        var options = new FolderWatchOptions
        {
            Folder = inbox, ResultsPath = dir.Combine("results.csv"), MoveToVerdictFolders = true,
            SettleTime = TimeSpan.FromMilliseconds(150), PollInterval = TimeSpan.FromMilliseconds(40),
        };

        // The camera: bursts of 25 images; every 10th is written in two halves with a pause longer than the settle time.
        var slowWrites = new List<Task>();
        var writer = Task.Run(async () =>
        {
            for (int i = 0; i < total; i++)
            {
                string path = Path.Combine(inbox, $"frame{i:D4}{(i % 2 == 0 ? ".jpg" : ".png")}");
                byte[] bytes = images[i];
                if (i % 10 == 7)
                {
                    var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite);
                    stream.Write(bytes, 0, bytes.Length / 2);
                    stream.Flush();
                    lock (slowWrites)
                        slowWrites.Add(Task.Run(async () =>
                        {
                            await Task.Delay(400);
                            stream.Write(bytes, bytes.Length / 2, bytes.Length - bytes.Length / 2);
                            await stream.DisposeAsync();
                        }));
                }
                else await File.WriteAllBytesAsync(path, bytes);
                if (i % 25 == 24) await Task.Delay(60);
            }
        });

        // First run, stopped (Ctrl-C) in the middle; the second run starts on the same folder and results file.
        var first = new FolderWatcher(model, options);
        using (var stop = new CancellationTokenSource())
        {
            var run = first.RunAsync(stop.Token);
            while (first.Recorded < total / 2) await Task.Delay(20);
            stop.Cancel();
            await run;
        }
        int afterFirst = new FolderWatcher(model, options).Recorded;
        Assert.InRange(afterFirst, total / 2, total - 1);
        var second = new FolderWatcher(model, options);
        using (var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
        {
            var run = second.RunAsync(stop.Token);
            await writer;
            Task[] pending;
            lock (slowWrites) pending = slowWrites.ToArray();
            await Task.WhenAll(pending);
            while (second.Recorded < total && !stop.IsCancellationRequested) await Task.Delay(20);
            await Task.Delay(500); // nothing more may come
            stop.Cancel();
            await run;
        }

        var lines = File.ReadAllLines(options.ResultsPath).Skip(1).ToList();
        Assert.Equal(total, lines.Count); // once each: none lost, none repeated
        var rows = Rows(options.ResultsPath);
        Assert.Equal(total, rows.Count);
        for (int i = 0; i < total; i++)
        {
            var row = rows[$"frame{i:D4}{(i % 2 == 0 ? ".jpg" : ".png")}"];
            // Classified from the complete file: the same verdict and probability as the whole image gives.
            Assert.Equal(expected[i].Verdict, row[1]);
            Assert.Equal(expected[i].Probability, double.Parse(row[2], System.Globalization.CultureInfo.InvariantCulture), 1e-6); // written with 6 decimals
            Assert.Equal(images[i].Length.ToString(System.Globalization.CultureInfo.InvariantCulture), row[3]);
        }
        Assert.DoesNotContain(Directory.GetFiles(inbox), f => !f.EndsWith(".csv", StringComparison.Ordinal));
        int ng = expected.Count(e => e.Verdict == "NG");
        Assert.Equal(ng, Directory.Exists(Path.Combine(inbox, "NG")) ? Directory.GetFiles(Path.Combine(inbox, "NG")).Length : 0);
        Assert.Equal(total - ng, Directory.Exists(Path.Combine(inbox, "OK")) ? Directory.GetFiles(Path.Combine(inbox, "OK")).Length : 0);
    }

    [Fact]
    public void After_a_crash_a_torn_row_is_dropped_and_its_image_classified_again_and_a_recorded_image_is_only_moved()
    {
        using var dir = new TempDir();
        string inbox = dir.Combine("inbox");
        Directory.CreateDirectory(inbox);
        using var model = CastingOnnxModel.Load(Model, intraOpThreads: 1);
        var options = new FolderWatchOptions { Folder = inbox, MoveToVerdictFolders = true, SettleTime = TimeSpan.Zero };
        for (int i = 0; i < 3; i++) File.WriteAllBytes(Path.Combine(inbox, $"a{i}.png"), Casting(2 * i + 1));
        Assert.Equal(3, new FolderWatcher(model, options).ProcessPending());
        string results = Path.Combine(inbox, "predictions.csv");
        string labelOfA0 = Rows(results)["a0.png"][1];

        // The state a crash can leave: a0 recorded but not yet moved (put back), a1's row cut short, a2 done.
        File.Move(Directory.GetFiles(inbox, "a0.png", SearchOption.AllDirectories).Single(), Path.Combine(inbox, "a0.png"));
        var a1 = Directory.GetFiles(inbox, "a1.png", SearchOption.AllDirectories).Single();
        File.Move(a1, Path.Combine(inbox, "a1.png"));
        var text = File.ReadAllText(results);
        int a1Row = text.IndexOf("a1.png", StringComparison.Ordinal);
        int a1Start = text.LastIndexOf('\n', a1Row) + 1, a1End = text.IndexOf('\n', a1Row) + 1;
        File.WriteAllText(results, text[..a1Start] + text[a1End..] + text[a1Start..(a1Start + 20)]); // a1's row torn at the end

        var restarted = new FolderWatcher(model, options);
        Assert.Equal(2, restarted.Recorded); // the torn row is gone
        Assert.Equal(1, restarted.ProcessPending()); // only a1 is classified again
        var lines = File.ReadAllLines(results).Skip(1).ToList();
        Assert.Equal(3, lines.Count);
        Assert.Single(lines, l => l.Contains("a0.png", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("a1.png", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(inbox, labelOfA0, "a0.png"))); // the interrupted move was finished
        Assert.Empty(Directory.GetFiles(inbox, "*.png"));
        Assert.Equal(0, restarted.ProcessPending());
    }

    [Fact]
    public void A_name_already_taken_in_the_verdict_folder_is_kept_and_the_new_image_gets_another_name()
    {
        using var dir = new TempDir();
        string inbox = dir.Combine("inbox");
        Directory.CreateDirectory(inbox);
        using var model = CastingOnnxModel.Load(Model, intraOpThreads: 1);
        byte[] image = Casting(1);
        string verdict = model.Classify(image, "x").Verdict;
        Directory.CreateDirectory(Path.Combine(inbox, verdict));
        File.WriteAllText(Path.Combine(inbox, verdict, "part.png"), "an earlier part");
        File.WriteAllBytes(Path.Combine(inbox, "part.png"), image);
        var watcher = new FolderWatcher(model, new FolderWatchOptions { Folder = inbox, MoveToVerdictFolders = true, SettleTime = TimeSpan.Zero });
        WatchedImage? seen = null;
        watcher.Classified += (_, w) => seen = w;
        Assert.Equal(1, watcher.ProcessPending());
        Assert.Equal("an earlier part", File.ReadAllText(Path.Combine(inbox, verdict, "part.png")));
        Assert.Equal(Path.Combine(inbox, verdict, "part (2).png"), seen!.MovedTo);
        Assert.Equal(image, File.ReadAllBytes(seen.MovedTo!));
    }

    [Fact]
    public void A_file_that_never_becomes_an_image_is_recorded_as_an_error_after_the_timeout_not_before()
    {
        using var dir = new TempDir();
        using var model = CastingOnnxModel.Load(Model, intraOpThreads: 1);
        File.WriteAllText(dir.Combine("broken.jpg"), "not a jpeg");
        var clock = new ManualClock();
        var watcher = new FolderWatcher(model, new FolderWatchOptions { Folder = dir.Path, SettleTime = TimeSpan.FromSeconds(1), IncompleteTimeout = TimeSpan.FromSeconds(30) }, clock);
        Assert.Equal(0, watcher.ProcessPending());
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, watcher.ProcessPending()); // settled but undecodable: a writer may still complete it
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(1, watcher.ProcessPending());
        var row = File.ReadAllLines(watcher.ResultsPath)[1].Split(',');
        Assert.Equal(("ERROR", ""), (row[1], row[2]));
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public void Advance(TimeSpan by) => _now += by;
        public override DateTimeOffset GetUtcNow() => _now;
    }
}
