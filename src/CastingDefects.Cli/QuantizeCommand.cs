using System.CommandLine;
using System.Diagnostics;
using CastingDefects.ML.Benchmarking;
using CastingDefects.ML.Data;
using CastingDefects.ML.Evaluation;
using CastingDefects.ML.Inference;
using CastingDefects.ML.IO;
using CastingDefects.ML.Quantization;
using Microsoft.ML;

namespace CastingDefects.Cli;

/// <summary><c>quantize</c>: post-training int8 quantization of a saved model, and what it changed (accuracy, size, latency).</summary>
internal static class QuantizeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model file (.zip or .onnx) written by train", Required = true };
        var data = new Option<string>("--data") { Description = "The folder the model was trained on (one subfolder per class): split with the same seed as train; calibration images come from the training part, accuracy before and after from the held-out test part", Required = true };
        var output = new Option<string>("--out") { Description = "Quantized model to write (.zip or .onnx; a .zip gets its .onnx beside it)", Required = true };
        var images = new Option<int>("--calibration-images") { Description = "Images that calibrate the activation ranges (stratified sample)", DefaultValueFactory = _ => 300 };
        var reduceRange = new Option<bool>("--reduce-range") { Description = "7-bit weights (ONNX Runtime's reduce_range): for x64 CPUs without VNNI, where 8-bit products can saturate" };
        var method = new Option<string>("--calibration-method") { Description = "How activation ranges are chosen: minmax (nothing clipped) or percentile (keep --percentile percent of the values)", DefaultValueFactory = _ => "minmax" };
        method.AcceptOnlyFromAmong("minmax", "percentile");
        var percentile = new Option<double>("--percentile") { Description = "With --calibration-method percentile: the share of each activation's values its range keeps, in percent", DefaultValueFactory = _ => 99.999 };
        var biasCorrection = new Option<bool>("--bias-correction") { Description = "Move each quantized convolution's bias by the mean difference between its float and quantized output on the calibration images (--bias-correction false to skip)", DefaultValueFactory = _ => true };
        var testFraction = new Option<double>("--test-fraction") { Description = "Test share, as given to train (0: calibrate on a sample of all images and compare on all of them)", DefaultValueFactory = _ => 0.2 };
        var seed = new Option<int>("--seed") { Description = "Seed of the split (as given to train) and of the calibration sample", DefaultValueFactory = _ => 42 };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("quantize", "Quantize a trained model to int8 (per-channel int8 weights, uint8 activations calibrated on training images, QDQ ONNX run by ONNX Runtime's integer kernels) and report accuracy, size and latency before and after.")
            { model, data, output, images, reduceRange, method, percentile, biasCorrection, testFraction, seed, json };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            bool quiet = parse.GetValue(json);
            string modelPath = Path.GetFullPath(parse.GetValue(model)!), outPath = Path.GetFullPath(parse.GetValue(output)!), folder = parse.GetValue(data)!;
            if (outPath == modelPath) throw new ArgumentException("--out: give a new file; the float model stays as it is.");
            if (parse.GetValue(images) < 1) throw new ArgumentException($"--calibration-images {parse.GetValue(images)}: at least 1.");
            if (parse.GetValue(percentile) is var kept and not (> 0 and <= 100)) throw new ArgumentException($"--percentile {kept}: a percentage in (0, 100].");
            if (parse.GetValue(testFraction) is var share and (< 0 or >= 1)) throw new ArgumentException($"--test-fraction {share}: a share in [0, 1).");
            OutputPaths.NotInside(outPath, "--out", folder);
            OutputPaths.WritableFile(outPath, "--out");
            var options = new CastingQuantizationOptions { CalibrationImages = parse.GetValue(images), ReduceRange = parse.GetValue(reduceRange), Seed = parse.GetValue(seed),
                CalibrationMethod = parse.GetValue(method) == "percentile" ? CalibrationMethod.Percentile : CalibrationMethod.MinMax, Percentile = parse.GetValue(percentile),
                BiasCorrection = parse.GetValue(biasCorrection) };

            byte[] onnx = SavedModelNetwork.Read(modelPath);
            using var before = new CastingOnnxModel(onnx, intraOpThreads: 1, source: $"Model file '{modelPath}'");
            var dataset = ImageFolderDataset.Scan(folder);
            int classes = before.Classes.Count > 0 ? before.Classes.Count : 2;
            if (!before.IsAnomalyDetector && dataset.Classes.Count != classes)
                throw new ArgumentException($"--data: '{dataset.Root}' has {dataset.Classes.Count} classes ({string.Join(", ", dataset.Classes)}); the model separates {classes}.");
            var (rest, test) = parse.GetValue(testFraction) > 0 ? dataset.StratifiedSplit(parse.GetValue(testFraction), parse.GetValue(seed)) : (dataset, dataset);
            var calibration = QuantizationCatalog.CalibrationSample(rest, options);
            var image = before.Image;
            if (!quiet)
                Console.WriteLine($"{before.Architecture} {image.Width}x{image.Height} {(image.Grayscale ? "gray" : "RGB")}: calibrating on {calibration.Images.Count} training images; " +
                    $"comparing on {test.Images.Count} {(parse.GetValue(testFraction) > 0 ? "held-out test images" : "images (all of them: --test-fraction 0)")}");
            byte[] int8 = new MLContext(parse.GetValue(seed)).Model.QuantizeCastingModel(modelPath, calibration, outPath, options);
            if (outPath.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
                AtomicFile.Write(Path.ChangeExtension(outPath, ".onnx"), s => s.Write(int8));
            using var after = new CastingOnnxModel(int8, intraOpThreads: 1, source: outPath);

            var paths = test.Images.Select(i => i.Path).ToList();
            var fp32 = before.PredictFiles(paths);
            var quantized = after.PredictFiles(paths);
            var scoreBefore = Score(fp32, test);
            var scoreAfter = Score(quantized, test);
            static double SameVerdict(IReadOnlyList<FilePrediction> a, IReadOnlyList<FilePrediction> b) =>
                (double)a.Zip(b).Count(p => p.First.Classification?.Verdict == p.Second.Classification?.Verdict) / Math.Max(1, a.Count);
            // On the library's kernels, ONNX Runtime's integer kernels too (the same graph elsewhere, and in ML.NET pipelines).
            (double Accuracy, double? Recall, double? Auc, double SameVerdict)? onRuntime = null;
            if (after.Engine == CastingOnnxModel.Int8KernelsEngine)
            {
                after.UseInt8Kernels = false;
                var runtime = after.PredictFiles(paths);
                after.UseInt8Kernels = true;
                var s = Score(runtime, test);
                onRuntime = (s.Accuracy, s.Recall, s.Auc, SameVerdict(runtime, quantized));
            }
            double msBefore = LatencyBenchmark.MeasureOnnx(before.Architecture, onnx, image.Channels, image.Width, height: image.Height).MsPerImage;
            double msAfter = LatencyBenchmark.MeasureOnnx(before.Architecture + " int8", int8, image.Channels, image.Width, height: image.Height).MsPerImage;

            var summary = new
            {
                model = outPath, onnx = outPath.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) ? Path.ChangeExtension(outPath, ".onnx") : outPath,
                source = modelPath, architecture = before.Architecture, calibration_images = calibration.Images.Count, test_images = paths.Count,
                held_out = parse.GetValue(testFraction) > 0, reduce_range = options.ReduceRange,
                calibration_method = parse.GetValue(method), percentile = options.CalibrationMethod == CalibrationMethod.Percentile ? options.Percentile : (double?)null, bias_correction = options.BiasCorrection,
                accuracy_before = scoreBefore.Accuracy, accuracy_after = scoreAfter.Accuracy,
                defect_recall_before = scoreBefore.Recall, defect_recall_after = scoreAfter.Recall,
                auc_before = scoreBefore.Auc, auc_after = scoreAfter.Auc,
                same_verdict = SameVerdict(fp32, quantized),
                onnx_bytes_before = onnx.LongLength, onnx_bytes_after = int8.LongLength,
                ms_per_image_before = msBefore, ms_per_image_after = msAfter, engine_after = after.Engine,
                onnxruntime_int8 = onRuntime is { } o ? new { accuracy = o.Accuracy, defect_recall = o.Recall, auc = o.Auc, same_verdict_as_kernels = o.SameVerdict } : null,
                seconds = clock.Elapsed.TotalSeconds,
            };
            if (quiet) CliJson.Print(summary);
            else
            {
                Console.WriteLine($"{"",-28}{"fp32",12}{"int8",12}");
                Console.WriteLine($"{"accuracy",-28}{scoreBefore.Accuracy,12:P2}{scoreAfter.Accuracy,12:P2}");
                if (scoreBefore.Recall is { } r0) Console.WriteLine($"{"defect recall",-28}{r0,12:P2}{scoreAfter.Recall,12:P2}");
                if (scoreBefore.Auc is { } a0) Console.WriteLine($"{"AUC",-28}{a0,12:F4}{scoreAfter.Auc,12:F4}");
                Console.WriteLine($"{"ONNX bytes",-28}{onnx.Length,12:N0}{int8.Length,12:N0}");
                Console.WriteLine($"{"ms/image (1 thread, batch 1)",-28}{msBefore,12:F3}{msAfter,12:F3}");
                Console.WriteLine($"int8 runs on {(after.Engine == CastingOnnxModel.Int8KernelsEngine ? "the library's integer kernels (AVX-VNNI)" : "ONNX Runtime's integer kernels")}");
                if (onRuntime is { } ort)
                    Console.WriteLine($"on ONNX Runtime's integer kernels (ML.NET pipelines): accuracy {ort.Accuracy:P2}{(ort.Recall is { } r ? $", defect recall {r:P2}" : "")}{(ort.Auc is { } a ? $", AUC {a:F4}" : "")}; same verdict as the library's kernels on {ort.SameVerdict:P2}");
                Console.WriteLine($"same verdict on {summary.same_verdict:P2} of the images");
                if (msAfter > msBefore)
                    Console.WriteLine($"note: on this CPU the int8 network is not faster than the float one ({msAfter:F3} vs {msBefore:F3} ms): " +
                        (after.Engine == CastingOnnxModel.Int8KernelsEngine ? "deploy the float model here." : "its convolutions are too narrow for ONNX Runtime's integer kernels to pay (they do for wider networks such as ResNet18); deploy the float model here."));
                Console.WriteLine($"saved {outPath}");
            }
            return 0;
        }));
        return command;
    }

    /// <summary>Accuracy (and, for a binary model, defect recall and AUC) of predictions on labelled images.</summary>
    private static (double Accuracy, double? Recall, double? Auc) Score(IReadOnlyList<FilePrediction> predictions, ImageFolderDataset data)
    {
        var unreadable = predictions.FirstOrDefault(p => p.Classification is null);
        if (unreadable is not null) throw new InvalidDataException($"'{unreadable.Path}' could not be read: {unreadable.Error}");
        var classified = predictions.Select(p => p.Classification!).ToList();
        if (classified[0].Threshold is { } threshold)
        {
            var m = BinaryMetrics.Compute(data.Images.Select(i => i.IsDefect).ToList(), classified.Select(c => c.Probability).ToList(), threshold);
            return (m.Accuracy, m.Recall, m.RocAuc);
        }
        return (classified.Zip(data.Images).Average(p => p.First.Verdict == p.Second.ClassName ? 1.0 : 0.0), null, null);
    }
}
