using System.Diagnostics;
using System.Text.Json;
using CastingDefects.ML.Synthetic;
using CastingDefects.ML.Training.Fitting;

namespace CastingDefects.ML.Training.Tests;

public class CliTests
{
    [Fact]
    public void Summary_json_has_the_papers_counts()
    {
        var (code, stdout, stderr) = CliProcess.Run("summary", "--arch", "paper", "--json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(5865, json.RootElement.GetProperty("total_params").GetInt64());
        Assert.Equal(5801, json.RootElement.GetProperty("trainable_params").GetInt64());
        Assert.Equal(64, json.RootElement.GetProperty("non_trainable_params").GetInt64());
        var (_, gray, _) = CliProcess.Run("summary", "--arch", "paper", "--grayscale", "--json");
        using var g = JsonDocument.Parse(gray);
        Assert.Equal(5577, g.RootElement.GetProperty("total_params").GetInt64());
    }

    [Theory]
    [InlineData("mobilenetv2", 2_260_546)]
    [InlineData("nasnetmobile", 4_271_830)]
    [InlineData("resnet50", 23_591_810)]
    public void Summary_with_the_softmax2_head_gives_the_papers_table_1(string arch, long total)
    {
        var (code, stdout, stderr) = CliProcess.Run("summary", "--arch", arch, "--head", "softmax2", "--json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(total, json.RootElement.GetProperty("total_params").GetInt64());
        Assert.Equal("softmax2", json.RootElement.GetProperty("head").GetString());
        var (badCode, _, badErr) = CliProcess.Run("summary", "--arch", arch, "--head", "softmax3");
        Assert.Equal(1, badCode);
        Assert.Contains("--head", badErr);
    }

    [Fact]
    public void Benchmark_json_lists_results_with_ratios_to_the_custom_model_and_writes_the_tables()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = CliProcess.Run("benchmark", "--quick", "--models", "paper-gray", "mobilenetv2", "--engines", "onnxruntime", "torchsharp",
            "--batches", "1", "2", "--image-size", "64", "--out", dir.Path, "--json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var results = json.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(2 * 2 * 2, results.Count); // models x engines x batches, one thread
        foreach (var r in results)
        {
            Assert.Equal(1, r.GetProperty("threads").GetInt32());
            Assert.True(r.GetProperty("ms_per_image").GetDouble() > 0);
            double speedup = r.GetProperty("speedup_vs_custom").GetDouble();
            if (r.GetProperty("model").GetString() == "paper-gray") Assert.Equal(1.0, speedup, 6);
            else Assert.True(speedup > 1, $"mobilenetv2 should be slower than the custom model, got {speedup}");
        }
        Assert.Contains(results, r => r.GetProperty("engine").GetString() == "torchsharp" && r.GetProperty("batch").GetInt32() == 2);
        var floor = json.RootElement.GetProperty("compute_floor");
        Assert.True(floor.GetProperty("ratio").GetDouble() >= 0.5);
        string tables = File.ReadAllText(Path.Combine(dir.Path, "tables.md"));
        Assert.Contains("### Table 1", tables);
        Assert.Contains("### Table 5", tables);
        Assert.Contains("| mobilenetv2 | 2,259,265 |", tables);
        Assert.True(File.Exists(Path.Combine(dir.Path, "results.json")));
    }

    [Fact]
    public void Benchmark_training_reports_images_per_second_beside_the_pytorch_reference_or_says_why_not()
    {
        var (code, stdout, stderr) = CliProcess.Run("benchmark", "--quick", "--models", "paper-gray", "--engines", "onnxruntime", "--batches", "1",
            "--image-size", "64", "--training", "56", "--json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var rows = json.RootElement.GetProperty("training").EnumerateArray().ToList();
        var ours = rows.Where(r => r.GetProperty("framework").GetString() == "casting-defects").ToList();
        Assert.Equal(new[] { 1, Environment.ProcessorCount }.Distinct(), ours.Select(r => r.GetProperty("threads").GetInt32()));
        foreach (var r in rows)
        {
            Assert.Equal(56, r.GetProperty("image_size").GetInt32());
            Assert.Equal(32, r.GetProperty("batch").GetInt32());
            Assert.Equal(512, r.GetProperty("images").GetInt32());
            Assert.Equal(512 / r.GetProperty("seconds").GetDouble(), r.GetProperty("images_per_second").GetDouble(), 6);
        }
        var pytorch = rows.Where(r => r.GetProperty("framework").GetString() == "pytorch").ToList();
        if (pytorch.Count == 0)
            Assert.Contains("python3", json.RootElement.GetProperty("training_reference_missing").GetString()); // says how to get the reference
        else
            foreach (var r in ours)
            {
                var reference = pytorch.Single(p => p.GetProperty("threads").GetInt32() == r.GetProperty("threads").GetInt32());
                Assert.Equal(r.GetProperty("images_per_second").GetDouble() / reference.GetProperty("images_per_second").GetDouble(),
                    r.GetProperty("vs_pytorch").GetDouble(), 6);
            }

        var (refused, _, error) = CliProcess.Run("benchmark", "--training", "40");
        Assert.Equal(1, refused);
        Assert.Contains("--training: 40 px", error);
    }

    [Fact]
    public void Train_refuses_fine_tuning_without_transfer_and_malformed_class_weights_by_name()
    {
        using var dir = new TempDir();
        string data = EasyImages.Write(dir.Combine("data"), 6, seed: 2);
        var (code, _, error) = CliProcess.Run("train", "--data", data, "--out", dir.Combine("m.zip"), "--fine-tune", "3");
        Assert.Equal(1, code);
        Assert.Contains("--fine-tune: only with --transfer", error);
        (code, _, error) = CliProcess.Run("train", "--data", data, "--out", dir.Combine("m.zip"), "--class-weights", "1,x");
        Assert.Equal(1, code);
        Assert.Contains("--class-weights: '1,x'", error);
        (code, _, error) = CliProcess.Run("train", "--data", data, "--out", dir.Combine("m.zip"), "--class-weights", "balanced", "--time-budget", "1m");
        Assert.Equal(1, code);
        Assert.Contains("--class-weights: not with --time-budget", error);
        Assert.False(File.Exists(dir.Combine("m.zip")));
    }

    [Fact]
    public void Train_starts_from_a_safetensors_state_dict()
    {
        using var dir = new TempDir();
        string data = dir.Combine("data");
        SyntheticCastingGenerator.Generate(data, new SyntheticCastingOptions { DefectiveCount = 12, GoodCount = 12, ImageSize = 64 });
        var source = CastingDefects.ML.Training.Models.CastingArchitectures.Create("resnet18", grayscale: true, imageSize: 32);
        source.Build(seed: 5);
        var state = CastingDefects.ML.Training.Models.Weights.StateDict.Get(source);
        state.Remove("dense.weight"); // a backbone without this head
        state.Remove("dense.bias");
        string weights = dir.Combine("resnet18.safetensors");
        CastingDefects.ML.Training.Models.Weights.SafeTensors.Write(weights, state);
        var (code, stdout, stderr) = CliProcess.Run("train", "--data", data, "--out", dir.Combine("m.zip"), "--arch", "resnet18", "--image-size", "32",
            "--epochs", "1", "--weights", weights);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("all but 2 tensors (dense.weight, dense.bias), which start random", stdout);
        // The same state dict as PyTorch writes it (torch.save, zip format): read back value for value, and trained from.
        string pth = dir.Combine("resnet18.pth");
        CastingDefects.ML.Training.Models.Weights.PyTorchStateDict.Write(pth, state);
        var reread = CastingDefects.ML.Training.Models.Weights.PyTorchStateDict.ReadWeightsFile(pth);
        Assert.Equal(state.Keys.Order(StringComparer.Ordinal), reread.Keys.Order(StringComparer.Ordinal));
        Assert.All(state, kv => { Assert.Equal(kv.Value.Shape, reread[kv.Key].Shape); Assert.Equal(kv.Value.Values, reread[kv.Key].Values); });
        (code, stdout, stderr) = CliProcess.Run("train", "--data", data, "--out", dir.Combine("m-pth.zip"), "--arch", "resnet18", "--image-size", "32",
            "--epochs", "1", "--weights", pth);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("all but 2 tensors (dense.weight, dense.bias), which start random", stdout);
        File.WriteAllBytes(dir.Combine("bad.pth"), [(byte)'P', (byte)'K', 3, 4, 0, 0]);
        var (badPth, _, badPthErr) = CliProcess.Run("train", "--data", data, "--out", dir.Combine("m3.zip"), "--arch", "resnet18", "--image-size", "32",
            "--epochs", "1", "--weights", dir.Combine("bad.pth"));
        Assert.Equal(1, badPth);
        Assert.Contains("bad.pth", badPthErr);

        File.WriteAllBytes(dir.Combine("bad.safetensors"), [1, 2, 3]);
        var (badCode, _, badErr) = CliProcess.Run("train", "--data", data, "--out", dir.Combine("m2.zip"), "--arch", "resnet18", "--image-size", "32",
            "--epochs", "1", "--weights", dir.Combine("bad.safetensors"));
        Assert.Equal(1, badCode);
        Assert.Contains("bad.safetensors", badErr);
    }

    [Fact]
    public void Bad_options_and_files_give_one_clear_error()
    {
        var (code, _, stderr) = CliProcess.Run("summary", "--arch", "vgg99");
        Assert.Equal(1, code);
        Assert.Contains("vgg99", stderr);
        using var dir = new TempDir();
        string bad = dir.Combine("model.zip");
        File.WriteAllText(bad, "not a model");
        var (code2, _, stderr2) = CliProcess.Run("predict", "--model", bad, "--input", dir.Path);
        Assert.Equal(1, code2);
        Assert.Contains(bad, stderr2);
        Assert.DoesNotContain("   at ", stderr2); // no stack trace
    }

    [Fact]
    public void Audit_json_reports_classes_unreadable_files_and_duplicates()
    {
        using var dir = new TempDir();
        string train = dir.Combine("train"), test = dir.Combine("test");
        SyntheticCastingGenerator.Generate(train, new SyntheticCastingOptions { DefectiveCount = 5, GoodCount = 4, ImageSize = 40, Seed = 1 });
        SyntheticCastingGenerator.Generate(test, new SyntheticCastingOptions { DefectiveCount = 2, GoodCount = 2, ImageSize = 40, Seed = 2 });
        File.Copy(Path.Combine(train, "def_front", "cast_def_0_1.jpeg"), Path.Combine(test, "def_front", "leak.jpeg"));
        File.WriteAllText(Path.Combine(train, "ok_front", "notes.jpg"), "text");
        var (code, stdout, stderr) = CliProcess.Run("audit", "--data", train, "--against", test, "--json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal(5, root.GetProperty("classes").GetProperty("def_front").GetInt32());
        Assert.Equal(4, root.GetProperty("classes").GetProperty("ok_front").GetInt32());
        Assert.EndsWith("notes.jpg", root.GetProperty("unreadable")[0].GetProperty("path").GetString());
        Assert.Equal(0, root.GetProperty("duplicates_within").GetProperty("count").GetInt32());
        Assert.Equal(1, root.GetProperty("cross_duplicates").GetProperty("count").GetInt32());
    }

    [Fact]
    public void Same_seed_in_two_processes_writes_the_same_network()
    {
        using var dir = new TempDir();
        string data = dir.Combine("data");
        var (genCode, _, genErr) = CliProcess.Run("generate", "--out", data, "--defective", "30", "--good", "24", "--size", "64", "--seed", "5");
        Assert.True(genCode == 0, genErr);
        byte[] Train(string name)
        {
            string model = dir.Combine(name, "m.zip");
            var (code, _, err) = CliProcess.Run("train", "--data", data, "--out", model, "--image-size", "64", "--epochs", "2", "--threads", "1", "--seed", "7", "--json");
            Assert.True(code == 0, err);
            return File.ReadAllBytes(Path.ChangeExtension(model, ".onnx"));
        }
        Assert.Equal(Train("a"), Train("b"));
    }

    /// <summary>
    /// Kill -9 in the middle of training: the checkpoints on disk stay loadable, and train --resume finishes the run
    /// with the epochs before the kill kept in the history. Then evaluate and predict use the saved model.
    /// </summary>
    [Fact]
    public void Sigkill_mid_training_then_resume_continues_from_the_last_checkpoint()
    {
        using var dir = new TempDir();
        string data = dir.Combine("data");
        SyntheticCastingGenerator.Generate(data, new SyntheticCastingOptions { DefectiveCount = 120, GoodCount = 100, ImageSize = 128, Seed = 4 });
        string model = dir.Combine("out", "casting.zip");
        string checkpoints = dir.Combine("ckpt");
        string[] args = ["train", "--data", data, "--out", model, "--image-size", "128", "--epochs", "5", "--batch-size", "8",
            "--checkpoint-dir", checkpoints, "--threads", "1", "--json"];

        using (var p = CliProcess.Start(args))
        {
            string last = Path.Combine(checkpoints, "last.ckpt");
            var clock = Stopwatch.StartNew();
            while (!File.Exists(last) && clock.Elapsed < TimeSpan.FromMinutes(2) && !p.HasExited) Thread.Sleep(20);
            if (p.HasExited) Assert.Fail("training finished before it could be killed: " + p.StandardError.ReadToEnd());
            Thread.Sleep(300); // into the next epoch
            int epochAtKill = Checkpoint.ReadState(last).Epoch;
            using (var kill = Process.Start("kill", ["-KILL", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
            p.WaitForExit();
            Assert.True(epochAtKill < 5, $"epoch {epochAtKill} already written at kill time ({clock.Elapsed.TotalSeconds:F2} s after start)");
            Assert.Equal(137, p.ExitCode); // 128 + SIGKILL
        }
        var state = Checkpoint.ReadState(Path.Combine(checkpoints, "last.ckpt"));
        Assert.True(state.Epoch is >= 1 and <= 4, $"killed after epoch {state.Epoch}");
        var best = Checkpoint.ReadState(Path.Combine(checkpoints, "best.ckpt"));
        Assert.InRange(best.Epoch, 1, state.Epoch);
        Assert.False(File.Exists(model));

        var (code, stdout, stderr) = CliProcess.Run([.. args, "--resume"]);
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(5, json.RootElement.GetProperty("epochs_run").GetInt32());
        var history = json.RootElement.GetProperty("history").EnumerateArray().ToList();
        for (int i = 0; i < state.Epoch; i++)
            Assert.Equal(state.History[i].Loss, history[i].GetProperty("loss").GetDouble(), 9);
        // The saved model is the best epoch's (restored after the resume, not the last epoch's): its held-out accuracy
        // through ONNX Runtime is that epoch's validation accuracy, up to an image that sits on the 0.5 boundary.
        int bestEpoch = json.RootElement.GetProperty("best_epoch").GetInt32();
        int validationImages = json.RootElement.GetProperty("validation_images").GetInt32();
        Assert.Equal(history[bestEpoch - 1].GetProperty("val_accuracy").GetDouble(), json.RootElement.GetProperty("val_accuracy").GetDouble(), 1.0 / validationImages + 1e-9);
        Assert.True(File.Exists(model));
        Assert.True(File.Exists(Path.ChangeExtension(model, ".onnx")));

        var (evalCode, evalOut, evalErr) = CliProcess.Run("evaluate", "--model", model, "--data", data, "--json");
        Assert.True(evalCode == 0, evalErr);
        using var metrics = JsonDocument.Parse(evalOut);
        Assert.Equal(220, metrics.RootElement.GetProperty("count").GetInt32());
        var rows = metrics.RootElement.GetProperty("confusion_matrix").GetProperty("rows").EnumerateArray().Select(r => r.EnumerateArray().Sum(v => v.GetInt32())).ToArray();
        Assert.Equal([100, 120], rows);

        var (recallCode, recallOut, recallErr) = CliProcess.Run("evaluate", "--model", model, "--data", data, "--target-recall", "1", "--json");
        Assert.True(recallCode == 0, recallErr);
        using var atRecall = JsonDocument.Parse(recallOut);
        Assert.Equal(1.0, atRecall.RootElement.GetProperty("recall").GetDouble());

        // Store that threshold in a copy of the model, with a report; the copy then predicts with it.
        string tuned = dir.Combine("tuned.zip"), reportDir = dir.Combine("report");
        var (tuneCode, tuneOut, tuneErr) = CliProcess.Run("evaluate", "--model", model, "--data", data, "--target-recall", "1", "--save-model", tuned,
            "--report", reportDir, "--json");
        Assert.True(tuneCode == 0, tuneErr);
        using var tunedJson = JsonDocument.Parse(tuneOut);
        float chosen = tunedJson.RootElement.GetProperty("threshold").GetSingle();
        var perClass = tunedJson.RootElement.GetProperty("per_class").EnumerateArray().ToList();
        Assert.Equal(["def_front", "ok_front"], perClass.Select(c => c.GetProperty("name").GetString()).Order());
        Assert.Equal(220, tunedJson.RootElement.GetProperty("weighted_avg").GetProperty("support").GetInt32());
        Assert.True(File.Exists(Path.Combine(reportDir, "report.html")));
        Assert.True(File.Exists(Path.Combine(reportDir, "training_loss.png"))); // the history train wrote beside the model
        // The report's galleries show heatmap overlays: every misclassified image, and the 8 most confident found defects.
        var matrix = tunedJson.RootElement.GetProperty("confusion_matrix").GetProperty("rows").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        int misclassified = matrix[0][1] + matrix[1][0];
        Assert.Contains("with heatmap overlays", File.ReadAllText(Path.Combine(reportDir, "report.html")));
        var overlays = Directory.GetFiles(Path.Combine(reportDir, "gallery"), "*.heatmap.png").Select(Path.GetFileName).ToList();
        Assert.Equal(8, overlays.Count(f => f!.StartsWith("correct_", StringComparison.Ordinal)));
        Assert.Equal(Math.Min(48, misclassified), overlays.Count(f => !f!.StartsWith("correct_", StringComparison.Ordinal)));
        var (againCode, againOut, againErr) = CliProcess.Run("evaluate", "--model", tuned, "--data", data, "--json");
        Assert.True(againCode == 0, againErr);
        using var again = JsonDocument.Parse(againOut);
        Assert.Equal(1.0, again.RootElement.GetProperty("recall").GetDouble()); // the stored threshold is the one used
        Assert.Equal(chosen, again.RootElement.GetProperty("threshold").GetSingle(), 4);

        string csv = dir.Combine("verdicts.csv");
        File.WriteAllText(Path.Combine(data, "ok_front", "broken.jpg"), "not an image");
        var (predCode, _, predErr) = CliProcess.Run("predict", "--model", tuned, "--input", data, "--out", csv);
        Assert.True(predCode == 0, predErr);
        var lines = File.ReadAllLines(csv);
        Assert.Equal("path,label,probability", lines[0]);
        Assert.Equal(221, lines.Length - 1);
        Assert.Contains(lines, l => l.Contains("broken.jpg,ERROR,"));
        Assert.Contains("broken.jpg", predErr);
        Assert.All(lines.Skip(1).Where(l => !l.Contains("ERROR")), l => Assert.Matches(@",(OK|NG),0\.\d{6}$|,(OK|NG),1\.0{6}$", l));
        // The tuned threshold is the lowest defect probability: every defect is NG, and it is the smallest NG defect's.
        var predicted = lines.Skip(1).Where(l => !l.Contains("ERROR")).Select(l => l.Split(',')).ToList();
        var defects = predicted.Where(r => r[0].Contains("def_front", StringComparison.Ordinal)).ToList();
        Assert.All(defects, r => Assert.Equal("NG", r[1]));
        Assert.Equal((double)chosen, defects.Min(r => double.Parse(r[2], System.Globalization.CultureInfo.InvariantCulture)), 1.5e-6);
    }

    /// <summary>
    /// <c>train --anomaly</c> fits the good class folder only and evaluates on held-out images of both; <c>evaluate</c>
    /// takes the detector like a classifier, and its report overlays the detector's own anomaly map.
    /// </summary>
    [Fact]
    public void Train_anomaly_fits_good_images_and_evaluate_reports_it_like_a_classifier()
    {
        using var dir = new TempDir();
        string data = dir.Combine("data"), model = dir.Combine("anomaly.zip"), report = dir.Combine("report");
        SyntheticCastingGenerator.Generate(data, new SyntheticCastingOptions { DefectiveCount = 30, GoodCount = 40, ImageSize = 96, Seed = 5 });
        var (code, output, err) = CliProcess.Run("train", "--anomaly", "--data", data, "--out", model, "--image-size", "64", "--json");
        Assert.True(code == 0, err);
        using var trained = JsonDocument.Parse(output);
        // 40 good images: 8 held out for the test, 6 of the rest validate; the 30 defects are never fitted.
        Assert.Equal(26, trained.RootElement.GetProperty("fitted_images").GetInt32());
        Assert.Equal(26, trained.RootElement.GetProperty("train_images").GetInt32());
        Assert.Equal("ok_front", trained.RootElement.GetProperty("good_class").GetString());

        var (evalCode, evalOut, evalErr) = CliProcess.Run("evaluate", "--model", model, "--data", data, "--report", report, "--json");
        Assert.True(evalCode == 0, evalErr);
        using var metrics = JsonDocument.Parse(evalOut);
        Assert.Equal(70, metrics.RootElement.GetProperty("count").GetInt32());
        var rows = metrics.RootElement.GetProperty("confusion_matrix").GetProperty("rows").EnumerateArray().Select(r => r.EnumerateArray().Sum(v => v.GetInt32())).ToArray();
        Assert.Equal([40, 30], rows); // ok_front, def_front
        Assert.True(metrics.RootElement.GetProperty("roc_auc").GetDouble() > 0.5, "a detector fitted on good castings ranks drawn defects above chance");
        Assert.Contains("with heatmap overlays", File.ReadAllText(Path.Combine(report, "report.html")));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(report, "gallery"), "correct_*.heatmap.png"));
    }

    /// <summary>
    /// <c>prune</c> rebuilds the trained network from the file train writes beside the model, removes half of its
    /// channels, fine-tunes, and writes a model that predicts like any other; the source model stays as it was.
    /// </summary>
    [Fact]
    public void Prune_halves_the_channels_of_a_trained_model_and_reports_the_trade_off()
    {
        using var dir = new TempDir();
        string data = dir.Combine("data"), model = dir.Combine("m.zip"), pruned = dir.Combine("pruned.zip");
        SyntheticCastingGenerator.Generate(data, new SyntheticCastingOptions { DefectiveCount = 20, GoodCount = 20, ImageSize = 64, Seed = 3 });
        var (code, _, err) = CliProcess.Run("train", "--data", data, "--out", model, "--image-size", "64", "--epochs", "1", "--json");
        Assert.True(code == 0, err);
        Assert.True(File.Exists(dir.Combine("m.network.zip")));
        byte[] original = File.ReadAllBytes(model);

        var (pruneCode, pruneOut, pruneErr) = CliProcess.Run("prune", "--model", model, "--data", data, "--out", pruned, "--ratio", "0.5", "--fine-tune-epochs", "1", "--json");
        Assert.True(pruneCode == 0, pruneErr);
        using var json = JsonDocument.Parse(pruneOut);
        var root = json.RootElement;
        Assert.Equal(5577, root.GetProperty("total_params_before").GetInt64());
        Assert.Equal(2833, root.GetProperty("total_params_after").GetInt64()); // 16 → 8, 16 → 8, Dense 64 → 32
        Assert.Equal(["conv2d 16>8", "conv2d_1 16>8", "dense 64>32"],
            root.GetProperty("layers").EnumerateArray().Select(l => $"{l.GetProperty("name").GetString()} {l.GetProperty("before").GetInt32()}>{l.GetProperty("after").GetInt32()}"));
        Assert.True(root.GetProperty("onnx_bytes_after").GetInt64() < root.GetProperty("onnx_bytes_before").GetInt64());
        foreach (var key in new[] { "ms_per_image_before", "ms_per_image_after", "val_accuracy_before", "val_accuracy_after", "test_accuracy_before", "test_accuracy_after" })
            Assert.Equal(JsonValueKind.Number, root.GetProperty(key).ValueKind);
        Assert.Equal(original, File.ReadAllBytes(model));

        // The pruned model is an ordinary model: evaluate reads it, its ONNX beside it is the pruned network.
        var (evalCode, evalOut, evalErr) = CliProcess.Run("evaluate", "--model", pruned, "--data", data, "--json");
        Assert.True(evalCode == 0, evalErr);
        using var metrics = JsonDocument.Parse(evalOut);
        Assert.Equal(40, metrics.RootElement.GetProperty("count").GetInt32());
        var graph = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(dir.Combine("pruned.onnx"))).Graph;
        Assert.Equal([8L, 1, 3, 3], graph.Initializer.First(t => t.Dims.Count == 4).Dims);

        var (badCode, _, badErr) = CliProcess.Run("prune", "--model", model, "--data", data, "--out", dir.Combine("x.zip"), "--criterion", "l2");
        Assert.Equal(1, badCode);
        Assert.Contains("--criterion l2", badErr);
        File.Delete(dir.Combine("m.network.zip"));
        (badCode, _, badErr) = CliProcess.Run("prune", "--model", model, "--data", data, "--out", dir.Combine("x.zip"));
        Assert.Equal(1, badCode);
        Assert.Contains("m.network.zip", badErr);
        Assert.False(File.Exists(dir.Combine("x.zip")));
    }
}
