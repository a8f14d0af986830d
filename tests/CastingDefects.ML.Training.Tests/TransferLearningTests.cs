using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Synthetic;
using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;
using CastingDefects.ML.Training.Models.Applications;
using CastingDefects.ML.Training.Models.Weights;
using CastingDefects.ML.Training.MLNet;
using CastingDefects.ML.Training.Transfer;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;

namespace CastingDefects.ML.Training.Tests;

public class TransferLearningTests
{
    [Fact]
    public void Imported_resnet18_computes_the_same_features_as_the_packaged_onnx_model()
    {
        string onnx = PretrainedResNet18.FindOnnxFile();
        var weights = PretrainedResNet18.ReadWeights(onnx);
        Assert.Equal([2, 2, 2, 3], PretrainedResNet18.BlocksPerStage(weights)); // CNTK's ResNet18 in the ML.NET package has a third block in its last stage
        var model = new Sequential((3, 224, 224), "check").Add(ResNet18.Create(blocksPerStage: [2, 2, 2, 3])).GlobalAveragePooling2D().Dense(1, Activation.Sigmoid);
        model.Build(seed: 0);
        var missing = StateDict.Load(model, weights);
        Assert.Equal(["dense.weight", "dense.bias"], missing);

        var x = (rand(1, 3, 224, 224, generator: new Generator(2)) * 255 - 110);
        model.Module.eval();
        float[] ours;
        using (no_grad()) ours = model.Module.Blocks[1].forward(model.Module.Blocks[0].forward(x)).data<float>().ToArray();

        using var session = new InferenceSession(onnx);
        var input = new DenseTensor(x.data<float>().ToArray(), [1, 3, 224, 224]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), input)]);
        float[] reference = results.Single().AsEnumerable<float>().ToArray();
        Assert.Equal(512, reference.Length);
        float scale = reference.Max(Math.Abs);
        Assert.True(scale > 0.1f);
        for (int i = 0; i < 512; i++) Assert.InRange(ours[i], reference[i] - 1e-3f * scale, reference[i] + 1e-3f * scale);
    }

    [Fact]
    public void Pretrained_resnet18_fine_tunes_its_last_stage_and_exports_with_parity()
    {
        using var model = CastingArchitectures.Create("resnet18-pretrained", grayscale: true, imageSize: 64);
        var backbone = (Functional)model.Layers[1];
        var conv1 = ((Conv2D.Conv2DModule)((GraphModule)model.Module.Blocks[1]).ModuleOf("conv1")).Conv.weight!.clone();
        backbone.FreezeUpTo("layer4.0.conv1_pad"); // Keras's recipe: freeze the early blocks, fine-tune the rest
        Assert.True(backbone.Trainable);
        var history = model.Fit(ToyData.Blobs(16, size: 64, seed: 3), epochs: 1, batchSize: 8);
        Assert.Single(history.Epochs);
        var graph = (GraphModule)model.Module.Blocks[1];
        Assert.Equal(0f, (conv1 - ((Conv2D.Conv2DModule)graph.ModuleOf("conv1")).Conv.weight!).abs().max().item<float>());
        var x = rand(2, 1, 64, 64, generator: new Generator(4));
        var expected = ComparisonArchitectureTests.Predict(model, x);
        var actual = ComparisonArchitectureTests.RunOnnx(model.ToOnnx(), x);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 4);
    }

    [Fact]
    public void Safetensors_round_trip_restores_every_weight()
    {
        using var dir = new TempDir();
        var a = CastingArchitectures.Create("resnet18", grayscale: true, imageSize: 32);
        a.Build(seed: 1);
        ComparisonArchitectureTests.RandomiseBatchNorm(a);
        string path = dir.Combine("resnet18.safetensors");
        SafeTensors.Write(path, StateDict.Get(a), new Dictionary<string, string> { ["format"] = "pt" });
        var b = CastingArchitectures.Create("resnet18", grayscale: true, imageSize: 32);
        b.Build(seed: 2);
        Assert.Empty(StateDict.Load(b, SafeTensors.Read(path)));
        var x = rand(2, 1, 32, 32, generator: new Generator(3));
        Assert.Equal(ComparisonArchitectureTests.Predict(a, x), ComparisonArchitectureTests.Predict(b, x));

        File.WriteAllBytes(dir.Combine("truncated.safetensors"), File.ReadAllBytes(path).AsSpan(0, 5000).ToArray());
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(dir.Combine("truncated.safetensors")));
        Assert.Contains("truncated.safetensors", e.Message);
        var c = CastingArchitectures.Create("resnet18", grayscale: false, imageSize: 32); // 3 input channels: conv1 does not fit
        var shape = Assert.Throws<InvalidDataException>(() => StateDict.Load(c, SafeTensors.Read(path)));
        Assert.Contains("conv1.weight", shape.Message);
    }

    [Fact]
    public void Transfer_trainer_caches_features_learns_saves_and_loads()
    {
        using var dir = new TempDir();
        string data = dir.Combine("data");
        SyntheticCastingGenerator.Generate(data, new SyntheticCastingOptions { DefectiveCount = 80, GoodCount = 80, ImageSize = 128, Seed = 8, DefectStrength = 3 });
        var ml = new MLContext(seed: 1);
        var split = ml.Data.StratifiedSplit(ml.Data.LoadImageFolder(data, new ImageFolderOptions { Warning = null }), 0.25, seed: 1);
        var image = CastingImageOptions.Square(128);
        var options = new ImageTransferOptions { Image = image, Epochs = 60, ValidationSet = split.TestSet, WorkspacePath = dir.Combine("workspace"), Seed = 2 };
        var trainer = ml.BinaryClassification.Trainers.ImageTransfer(options);
        var model = ml.Transforms.LoadCastingImages(image).Append(trainer).Fit(split.TrainSet);
        var first = model.LastTransformer.Model.Transfer!;
        Assert.Equal(160, first.ComputedFeatures);
        Assert.Equal(0, first.CachedFeatures);
        Assert.Single(Directory.GetFiles(options.WorkspacePath, "features-resnet18-1x128x128-*.bin"));

        var metrics = ml.BinaryClassification.Evaluate(model.Transform(split.TestSet));
        Assert.True(metrics.Accuracy >= 0.75, $"accuracy {metrics.Accuracy}"); // 120 training images; the real-data figure is in the README
        var counts = first.Network.CountParameters();
        Assert.Equal(513, counts.Trainable); // only the head trains
        Assert.Equal(15_897_152 + 11_648, counts.NonTrainable); // the packaged ResNet18 (2, 2, 2, 3 blocks), moving statistics included

        // Second run: every feature comes from the cache and the result is the same.
        var again = ml.BinaryClassification.Trainers.ImageTransfer(options);
        var model2 = ml.Transforms.LoadCastingImages(image).Append(again).Fit(split.TrainSet);
        Assert.Equal((160, 0), (model2.LastTransformer.Model.Transfer!.CachedFeatures, model2.LastTransformer.Model.Transfer.ComputedFeatures));
        var p1 = model.Transform(split.TestSet).GetColumn<float>("Probability").ToArray();
        var p2 = model2.Transform(split.TestSet).GetColumn<float>("Probability").ToArray();
        for (int i = 0; i < p1.Length; i++) Assert.Equal(p1[i], p2[i], 1e-5); // bit-identical features; head training is reproducible up to float summation order

        string path = dir.Combine("transfer.zip");
        ml.Model.Save(model, split.TrainSet.Schema, path);
        var loaded = new MLContext().Model.LoadCastingModel(path, out _);
        var reloaded = loaded.Transform(split.TestSet).GetColumn<float>("Probability").ToArray();
        for (int i = 0; i < p1.Length; i++) Assert.Equal(p1[i], reloaded[i], 4);
    }
}
