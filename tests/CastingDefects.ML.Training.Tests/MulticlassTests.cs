using System.Text.Json;
using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Synthetic;
using CastingDefects.ML.Training.MLNet;
using CastingDefects.ML.Training.Models;
using Microsoft.ML;
using Microsoft.ML.Data;
using SkiaSharp;

namespace CastingDefects.ML.Training.Tests;

public class MulticlassTests
{
    /// <summary>Three folders the paper CNN separates in a few epochs: dark disc, bright disc, plain surface.</summary>
    private static string ThreeClasses(TempDir dir, int perClass = 40) => EasyImages.Write(dir.Combine("data"), perClass, seed: 8, "def_front", "bright_spot", "ok_front");

    [Fact]
    public void Multiclass_trainer_evaluates_saves_loads_and_predicts_class_names()
    {
        using var dir = new TempDir();
        var dataset = ImageFolderDataset.Scan(ThreeClasses(dir), new ImageFolderOptions { Warning = null });
        Assert.Equal(["bright_spot", "def_front", "ok_front"], dataset.Classes);
        var (trainSet, validationSet) = dataset.StratifiedSplit(0.25, seed: 1);
        var ml = new MLContext(seed: 1);
        var labels = ml.Transforms.MapClassNamesToKey(dataset.Classes);
        IDataView Prepare(ImageFolderDataset part) { var v = part.ToDataView(ml); return labels.Fit(v).Transform(v); }
        var train = Prepare(trainSet);
        var validation = Prepare(validationSet);
        var image = CastingImageOptions.Square(64);
        var trainer = ml.MulticlassClassification.Trainers.CastingCnn(new CastingCnnOptions { Image = image, Epochs = 8, BatchSize = 16, ValidationSet = validation, LearningRate = 3e-3 });
        var model = ml.Transforms.LoadCastingImages(image).Append(trainer).Fit(train);
        var fitted = model.LastTransformer.Model;
        Assert.Equal(HeadKind.SoftmaxN, fitted.Network.Head);
        Assert.Equal(3, fitted.Network.Classes);
        Assert.Equal(dataset.Classes, fitted.ClassNames);
        Assert.True(fitted.IsMulticlass);

        var scored = model.Transform(validation);
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        Assert.Equal(3, metrics.PerClassLogLoss.Count);
        Assert.True(metrics.MicroAccuracy >= 0.95, $"the paper CNN reached only {metrics.MicroAccuracy:P1} on three easily separated classes");
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        Assert.All(scores, s => { Assert.Equal(3, s.Length); Assert.Equal(1f, s.Sum(), 4); });

        string path = dir.Combine("multi.zip");
        ml.Model.SaveCastingModel(model, train.Schema, path);
        var fresh = new MLContext(2);
        var loaded = fresh.Model.LoadCastingModel(path);
        var reloaded = loaded.Transform(validation).GetColumn<float[]>("Score").ToArray();
        for (int i = 0; i < scores.Length; i++) Assert.Equal(scores[i], reloaded[i]);

        // The predicted key maps back to class names; it is the arg-max of the scores.
        var predicted = loaded.Transform(validation);
        var keys = predicted.GetColumn<uint>("PredictedLabel").ToArray();
        VBuffer<ReadOnlyMemory<char>> names = default;
        predicted.Schema["PredictedLabel"].GetKeyValues(ref names);
        Assert.Equal(dataset.Classes, names.DenseValues().Select(n => n.ToString()));
        for (int i = 0; i < keys.Length; i++) Assert.Equal(Array.IndexOf(scores[i], scores[i].Max()) + 1, (int)keys[i]);

        // The batched folder path (what predict runs) gives every class's probability, in the model's class order.
        using var onnx = CastingOnnxModel.Load(path);
        var files = validationSet.Images.Select(i => i.Path).ToList();
        var batched = onnx.PredictFiles(files, batchSize: 7);
        for (int i = 0; i < files.Count; i++)
        {
            var c = batched[i].Classification!;
            Assert.Null(batched[i].Verdict); // no OK/NG from a multiclass model
            Assert.Equal(dataset.Classes[Array.IndexOf(scores[i], scores[i].Max())], c.Verdict);
            for (int k = 0; k < 3; k++) Assert.Equal(scores[i][k], c.ClassProbabilities![dataset.Classes[k]], 4);
        }
        Assert.Throws<InvalidOperationException>(() => onnx.Predict(files[0]));
    }

    [Fact]
    public void Cli_trains_a_multiclass_model_from_three_folders()
    {
        using var dir = new TempDir();
        string data = ThreeClasses(dir, perClass: 60);
        var (code, stdout, stderr) = CliProcess.Run("train", "--data", data, "--out", dir.Combine("m.zip"), "--image-size", "64", "--epochs", "12", "--json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(3, json.RootElement.GetProperty("classes").GetArrayLength());
        Assert.True(json.RootElement.GetProperty("val_accuracy").GetDouble() >= 0.9, json.RootElement.GetProperty("val_accuracy").ToString());
        // Three parts, stratified: the test set (36 = 20 %) is held out first; the figures to quote come from it.
        var root = json.RootElement;
        Assert.Equal(36, root.GetProperty("test_images").GetInt32());
        Assert.Equal(180, root.GetProperty("train_images").GetInt32() + root.GetProperty("validation_images").GetInt32() + root.GetProperty("test_images").GetInt32());
        Assert.True(root.GetProperty("test_accuracy").GetDouble() >= 0.9, root.GetProperty("test_accuracy").ToString());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("val_recall").ValueKind);

        // predict names the class of each image, with every class's probability.
        string results = dir.Combine("predictions.json");
        var (predCode, _, predErr) = CliProcess.Run("predict", "--model", dir.Combine("m.zip"), "--input", data, "--out", results);
        Assert.True(predCode == 0, predErr);
        using var predictions = JsonDocument.Parse(File.ReadAllText(results));
        var rows = predictions.RootElement.EnumerateArray().ToList();
        Assert.Equal(180, rows.Count);
        int right = 0;
        foreach (var row in rows)
        {
            var probabilities = row.GetProperty("probabilities").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
            Assert.Equal(["bright_spot", "def_front", "ok_front"], probabilities.Keys.Order());
            Assert.Equal(1.0, probabilities.Values.Sum(), 4);
            string label = row.GetProperty("label").GetString()!;
            Assert.Equal(probabilities.MaxBy(p => p.Value).Key, label);
            Assert.Equal(probabilities[label], row.GetProperty("probability").GetDouble(), 5);
            if (Path.GetFileName(Path.GetDirectoryName(row.GetProperty("path").GetString()))! == label) right++;
        }
        Assert.True(right >= 162, $"{right} of 180 images predicted in their own folder's class");
    }
}
