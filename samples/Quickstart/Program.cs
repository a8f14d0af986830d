// Quickstart: load a folder, train the paper's CNN, evaluate, save, predict one image.
// dotnet run --project samples/Quickstart [-- --data casting_data/train] [--out artifacts/quickstart] [--epochs 20] [--image-size 128]
using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Synthetic;
using CastingDefects.ML.Training.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

var options = new SampleArgs(args, "--data", "--out", "--epochs", "--image-size");
string output = Path.GetFullPath(options.Get("--out", "artifacts/quickstart"));
string data = options.Get("--data") ?? SyntheticCastingGenerator.BuiltInDataset();
if (options.Get("--data") is null) Console.WriteLine($"1. No --data: the built-in synthetic castings in {data}");

var ml = new MLContext(seed: 42);
IDataView images = ml.Data.LoadImageFolder(data);
var split = ml.Data.StratifiedSplit(images, validationFraction: 0.2, seed: 42);   // the test set: never seen in training
Console.WriteLine($"2. Loaded {images.GetColumn<bool>("Label").Count()} images from {data}; 20% held out for the test, stratified by class.");

var image = CastingImageOptions.Square(options.Int("--image-size", 128), grayscale: true);
var trainer = ml.BinaryClassification.Trainers.CastingCnn(new CastingCnnOptions
    {
        Image = image,
        Epochs = options.Int("--epochs", 20),
        ValidationFraction = 0.2,      // of the training part: picks the best epoch; the test set stays unseen
        MetricsCallback = e => Console.WriteLine($"   epoch {e.Epoch,2}: loss {e.Loss:F4}  val_loss {e.ValLoss:F4}  val_acc {e.ValAccuracy:P2}"),
    });
var pipeline = ml.Transforms.LoadCastingImages(image).Append(trainer);
Console.WriteLine("3. Training the paper's CNN (grayscale) ...");
var model = pipeline.Fit(split.TrainSet);               // typed: model.LastTransformer.Model is the trained network, history, ONNX

var metrics = ml.BinaryClassification.Evaluate(model.Transform(split.TestSet));
Console.WriteLine($"4. Test set: accuracy {metrics.Accuracy:P2}, precision {metrics.PositivePrecision:P2}, recall {metrics.PositiveRecall:P2}, F1 {metrics.F1Score:P2}, AUC {metrics.AreaUnderRocCurve:F4}");

string modelPath = Path.Combine(output, "casting.zip");
ml.Model.SaveCastingModel(model, split.TrainSet.Schema, modelPath);
File.WriteAllBytes(Path.ChangeExtension(modelPath, ".onnx"), model.LastTransformer.Model.OnnxModel);   // for ONNX Runtime users
Console.WriteLine($"5. Saved {modelPath} ({new FileInfo(modelPath).Length:N0} bytes) and casting.onnx");

var loaded = ml.Model.LoadCastingModel(modelPath);
var engine = ml.Model.CreatePredictionEngine<CastingImage, CastingVerdict>(loaded);
string first = split.TestSet.GetColumn<string>("ImagePath").First();
var verdict = engine.Predict(new CastingImage { ImagePath = first });
Console.WriteLine($"6. {Path.GetFileName(first)}: {verdict.Verdict} (p(defect) = {verdict.Probability:F4})");
File.WriteAllText(Path.Combine(output, "metrics.md"),
    $"| accuracy | precision | recall | F1 | AUC |\n|---|---|---|---|---|\n| {metrics.Accuracy:P2} | {metrics.PositivePrecision:P2} | {metrics.PositiveRecall:P2} | {metrics.F1Score:P2} | {metrics.AreaUnderRocCurve:F4} |\n");
engine.Dispose();
loaded.DisposeModel();   // ML.NET keeps a temporary copy of each ONNX network until its transformer is disposed
model.DisposeModel();
