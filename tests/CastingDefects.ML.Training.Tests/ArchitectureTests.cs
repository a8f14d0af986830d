using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models;

namespace CastingDefects.ML.Training.Tests;

public class ArchitectureTests
{
    [Theory]
    [InlineData(false, 5865, 5801, 64)]
    [InlineData(true, 5577, 5513, 64)]
    public void Paper_model_has_the_papers_parameter_counts(bool grayscale, long total, long trainable, long nonTrainable)
    {
        using var model = CastingArchitectures.Paper(grayscale);
        var counts = model.CountParameters();
        Assert.Equal((total, trainable, nonTrainable), (counts.Total, counts.Trainable, counts.NonTrainable));
        // The TorchSharp module holds exactly the trainable parameters plus the BatchNorm running statistics.
        long torchTrainable = model.Module.parameters().Sum(p => p.numel());
        Assert.Equal(trainable, torchTrainable);
    }

    [Fact]
    public void Summary_lists_layers_shapes_and_totals_like_keras()
    {
        using var model = CastingArchitectures.Paper(grayscale: false);
        string summary = model.Summary();
        Assert.Contains("conv2d (Conv2D)", summary);
        Assert.Contains("(None, 16, 298, 298)", summary);
        Assert.Contains("batch_normalization_2 (BatchNormalization)", summary);
        Assert.Contains("global_average_pooling2d (GlobalAveragePooling2D)", summary);
        Assert.Contains("Total params: 5,865", summary);
        Assert.Contains("Trainable params: 5,801", summary);
        Assert.Contains("Non-trainable params: 64", summary);
        var rows = model.SummaryRows();
        Assert.Equal(14, rows.Count);
        Assert.Equal(TensorShape.Vector(1), rows[^1].OutputShape);
        Assert.Equal(65, rows[^1].Parameters);
    }

    [Fact]
    public void Shapes_follow_keras_padding_rules()
    {
        var same = new Sequential((3, 15, 15)).Conv2D(4, 3, strides: 2, padding: Padding.Same).MaxPooling2D(2, padding: Padding.Same);
        Assert.Equal(new TensorShape(4, 4, 4), same.OutputShape);
        var valid = new Sequential((1, 15, 15)).Conv2D(4, 3, strides: 2).MaxPooling2D(3, strides: 2);
        Assert.Equal(new TensorShape(4, 3, 3), valid.OutputShape);
    }

    [Fact]
    public void Invalid_architectures_fail_with_the_layer_named()
    {
        var e = Assert.Throws<ArgumentException>(() => new Sequential((1, 8, 8)).Conv2D(4, 3).Dense(2));
        Assert.Contains("dense", e.Message);
        var tooSmall = Assert.Throws<ArgumentException>(() => new Sequential((1, 4, 4)).Conv2D(4, 5));
        Assert.Contains("conv2d", tooSmall.Message);
        var noHead = new Sequential((1, 8, 8)).Flatten().Dense(3);
        Assert.Throws<InvalidOperationException>(() => noHead.Head);
        Assert.Throws<ArgumentException>(() => CastingArchitectures.Create("vgg16", true, 64));
    }
}
