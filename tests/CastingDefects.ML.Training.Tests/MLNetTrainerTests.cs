using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Synthetic;
using CastingDefects.ML.Training.MLNet;
using CastingDefects.ML.Training.Models;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.ML.Training.Tests;

public class MLNetTrainerTests
{
    [Fact]
    public void Pipeline_learns_evaluates_saves_loads_and_predicts_with_the_same_scores()
    {
        using var dir = new TempDir();
        string data = EasyImages.Write(dir.Combine("data"), perClass: 60, seed: 3);
        var ml = new MLContext(seed: 42);
        var images = ml.Data.LoadImageFolder(data, new ImageFolderOptions { Warning = null });
        var split = ml.Data.StratifiedSplit(images, validationFraction: 0.25, seed: 42);
        var image = CastingImageOptions.Square(64);
        var epochs = new List<int>();
        var trainer = ml.BinaryClassification.Trainers.CastingCnn(new CastingCnnOptions
        {
            Image = image, Epochs = 8, BatchSize = 16, LearningRate = 3e-3, ValidationSet = split.TestSet, Seed = 1,
            MetricsCallback = log => epochs.Add(log.Epoch),
        });
        var pipeline = ml.Transforms.LoadCastingImages(image).Append(trainer);
        var model = pipeline.Fit(split.TrainSet);
        Assert.Equal(Enumerable.Range(1, 8), epochs);
        Assert.Equal("paper-gray", model.LastTransformer.Model.Network.Name); // the typed fitted transformer, as ML.NET's trainers return
        Assert.Equal(8, model.LastTransformer.Model.History.Epochs.Count);

        var scored = model.Transform(split.TestSet);
        var metrics = ml.BinaryClassification.Evaluate(scored);
        Assert.True(metrics.Accuracy >= 0.95, $"the paper CNN reached only {metrics.Accuracy:P1} on images it separates easily");
        Assert.True(metrics.AreaUnderRocCurve >= 0.98, $"AUC {metrics.AreaUnderRocCurve:F3}");
        var columns = BinaryScores.Read(scored);
        Assert.Equal(30, columns.Count);
        for (int i = 0; i < columns.Count; i++)
        {
            Assert.Equal(1 / (1 + Math.Exp(-columns.Scores[i])), columns.Probabilities[i], 4);
            Assert.Equal(columns.Probabilities[i] >= 0.5f, columns.PredictedLabels[i]);
        }

        string path = dir.Combine("casting.zip");
        ml.Model.Save(model, split.TrainSet.Schema, path);
        Assert.InRange(new FileInfo(path).Length, 1, 100 * 1024);

        var fresh = new MLContext(seed: 1);
        var loaded = fresh.Model.LoadCastingModel(path, out var schema);
        Assert.NotNull(schema.GetColumnOrNull("ImagePath"));
        var reloaded = BinaryScores.Read(loaded.Transform(split.TestSet));
        Assert.Equal(columns.Probabilities, reloaded.Probabilities);
        Assert.Equal(columns.PredictedLabels, reloaded.PredictedLabels);

        var paths = split.TestSet.GetColumn<string>("ImagePath").ToArray();
        using var engine = fresh.Model.CreatePredictionEngine<CastingImage, CastingVerdict>(loaded);
        var verdict = engine.Predict(new CastingImage { ImagePath = paths[0] });
        Assert.Equal(columns.Probabilities[0], verdict.Probability);
        Assert.Equal(verdict.PredictedLabel ? "NG" : "OK", verdict.Verdict);
    }

    [Fact]
    public void Target_recall_stores_a_threshold_that_catches_every_validation_defect()
    {
        using var dir = new TempDir();
        string data = dir.Combine("data");
        // Hard data and two epochs: an imperfect model, so the threshold really moves away from 0.5.
        SyntheticCastingGenerator.Generate(data, new SyntheticCastingOptions { DefectiveCount = 30, GoodCount = 24, ImageSize = 64, Seed = 4 });
        var ml = new MLContext(seed: 3);
        var split = ml.Data.StratifiedSplit(ml.Data.LoadImageFolder(data, new ImageFolderOptions { Warning = null }), 0.3, seed: 3);
        var image = CastingImageOptions.Square(64);
        var trainer = ml.BinaryClassification.Trainers.CastingCnn(new CastingCnnOptions
        {
            Image = image, Epochs = 2, BatchSize = 8, ValidationSet = split.TestSet, TargetRecall = 1.0,
        });
        var model = ml.Transforms.LoadCastingImages(image).Append(trainer).Fit(split.TrainSet);
        float threshold = model.LastTransformer.Model.Threshold;
        var scored = model.Transform(split.TestSet);
        var labels = scored.GetColumn<bool>("Label").ToArray();
        var columns = BinaryScores.Read(scored); // each row's probability and decision from one run of the network
        Assert.All(columns.Probabilities, p => Assert.True(float.IsFinite(p)));
        // The threshold is exactly the lowest defect probability of the deployed model, so every defect is caught ...
        Assert.Equal(columns.Probabilities.Where((_, i) => labels[i]).Min(), threshold);
        Assert.All(Enumerable.Range(0, labels.Length).Where(i => labels[i]), i => Assert.True(columns.PredictedLabels[i], $"defect {i} missed"));
        // ... and every decision is the probability against that threshold.
        Assert.All(Enumerable.Range(0, labels.Length), i => Assert.Equal(columns.Probabilities[i] >= threshold, columns.PredictedLabels[i]));
        Assert.NotEqual(0.5f, threshold);
    }

    [Fact]
    public void Output_schema_adds_the_binary_columns()
    {
        var ml = new MLContext(0);
        var image = CastingImageOptions.Square(64);
        var view = ml.Data.LoadFromEnumerable(Array.Empty<ImageFolderRow>());
        var create = typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic, [typeof(DataViewSchema)])!;
        var shape = ml.Transforms.LoadCastingImages(image).GetOutputSchema((SchemaShape)create.Invoke(null, [view.Schema])!);
        var output = ml.BinaryClassification.Trainers.CastingCnn(new CastingCnnOptions { Image = image }).GetOutputSchema(shape);
        Assert.Contains(output, c => c.Name == "Score");
        Assert.Contains(output, c => c.Name == "Probability");
        Assert.Contains(output, c => c.Name == "PredictedLabel");
        Assert.Contains(output, c => c.Name == "Features");
        Assert.All(output.Where(c => c.Name is "Score" or "Probability"), c => Assert.Equal((SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single), (c.Kind, c.ItemType)));

        // Multiclass trainers declare ML.NET's multiclass columns: a vector of scores and a key for the predicted class.
        foreach (var multiclass in new IEstimator<ITransformer>[]
            { ml.MulticlassClassification.Trainers.CastingCnn(new CastingCnnOptions { Image = image }), ml.MulticlassClassification.Trainers.ImageTransfer() })
        {
            var columns = multiclass.GetOutputSchema(shape);
            var score = Assert.Single(columns, c => c.Name == "Score");
            Assert.Equal((SchemaShape.Column.VectorKind.Vector, (DataViewType)NumberDataViewType.Single), (score.Kind, score.ItemType));
            var predicted = Assert.Single(columns, c => c.Name == "PredictedLabel");
            Assert.True(predicted.IsKey);
            Assert.Equal(NumberDataViewType.UInt32, predicted.ItemType);
            Assert.Contains(columns, c => c.Name == "Features");
        }
    }

    [Fact]
    public void Missing_features_column_is_named()
    {
        var ml = new MLContext(0);
        var view = ml.Data.LoadFromEnumerable(new[] { new ImageFolderRow { ImagePath = "x.jpg", Label = true } });
        var e = Assert.Throws<ArgumentException>(() => ml.BinaryClassification.Trainers.CastingCnn().Fit(view));
        Assert.Contains("Features", e.Message);
    }

    [Fact]
    public void The_catalog_trainer_takes_the_contexts_seed_and_logs_to_the_context()
    {
        using var dir = new TempDir();
        string data = EasyImages.Write(dir.Combine("data"), perClass: 16, seed: 5);
        var image = CastingImageOptions.Square(32);
        float[] Probabilities(int contextSeed, int? optionSeed, List<string>? log)
        {
            var ml = new MLContext(seed: contextSeed);
            if (log is not null) ml.Log += (_, e) => { lock (log) log.Add(e.RawMessage); };
            var images = ml.Data.LoadImageFolder(data, new ImageFolderOptions { Warning = null });
            var trainer = ml.BinaryClassification.Trainers.CastingCnn(new CastingCnnOptions
            {
                Architecture = (img, classes) => new Sequential((1, img.Height, img.Width)).Conv2D(8, 3, activation: Layers.Activation.ReLU).GlobalAveragePooling2D().Dense(1, Layers.Activation.Sigmoid),
                Image = image, Epochs = 2, BatchSize = 8, ValidationFraction = 0.25, Seed = optionSeed, Threads = 1, // one thread: the same summation order in every run
            });
            using var model = ml.Transforms.LoadCastingImages(image).Append(trainer).Fit(images).LastTransformer;
            return model.Transform(ml.Transforms.LoadCastingImages(image).Fit(images).Transform(images)).GetColumn<float>("Probability").ToArray();
        }
        var log = new List<string>();
        var fromContext = Probabilities(contextSeed: 9, optionSeed: null, log);
        Assert.Equal(fromContext, Probabilities(contextSeed: 1, optionSeed: 9, null)); // the context's seed is the options' default
        Assert.NotEqual(fromContext, Probabilities(contextSeed: 10, optionSeed: null, null)); // and it matters
        Assert.Contains(log, m => m.StartsWith("Epoch 1/2 - ", StringComparison.Ordinal));
        Assert.Contains(log, m => m.StartsWith("Epoch 2/2 - ", StringComparison.Ordinal));
    }

    [Fact]
    public void Class_weights_lean_a_binary_trainer_towards_defects_and_a_multiclass_trainer_refuses_them()
    {
        using var dir = new TempDir();
        // Hard data and few epochs: an imperfect model whose probabilities the weights can move.
        SyntheticCastingGenerator.Generate(dir.Combine("data"), new SyntheticCastingOptions { DefectiveCount = 24, GoodCount = 24, ImageSize = 64, Seed = 4 });
        var image = CastingImageOptions.Square(64);
        float MeanProbability((double, double)? weights)
        {
            var ml = new MLContext(seed: 3);
            var images = ml.Data.LoadImageFolder(dir.Combine("data"), new ImageFolderOptions { Warning = null });
            var trainer = ml.BinaryClassification.Trainers.CastingCnn(new CastingCnnOptions { Image = image, Epochs = 3, BatchSize = 8, ValidationFraction = 0, ClassWeights = weights });
            using var model = ml.Transforms.LoadCastingImages(image).Append(trainer).Fit(images).LastTransformer;
            return model.Transform(ml.Transforms.LoadCastingImages(image).Fit(images).Transform(images)).GetColumn<float>("Probability").Average();
        }
        float plain = MeanProbability(null), towardsDefects = MeanProbability((1, 4));
        Assert.True(towardsDefects > plain + 0.02f, $"defect weight 4: mean p(defect) {towardsDefects:F3}, unweighted {plain:F3}");

        var context = new MLContext(seed: 1);
        var multiclass = context.MulticlassClassification.Trainers.CastingCnn(new CastingCnnOptions { Image = image, ClassWeights = (1, 2) });
        var refused = Assert.Throws<ArgumentException>(() => multiclass.Fit(context.Data.LoadFromEnumerable(Array.Empty<ImageFolderRow>())));
        Assert.Contains("ClassWeights", refused.Message);
    }
}
