using CastingDefects.ML.Training.Models;
using Onnx;

namespace CastingDefects.ML.Training.Tests;

/// <summary>
/// The core tests predict with a model committed under tests/CastingDefects.ML.Tests/assets (the core test project
/// cannot train). It must be what the current exporter writes: same opset, inputs, outputs, node sequence,
/// initializer shapes and metadata keys as a paper-gray model exported now. When the exporter changes, this fails:
/// regenerate the asset with `casting-defects train --image-size 64` and copy the .zip and .onnx over it
/// (paper-gray-64-before-guard.zip stays as it was saved before the image guard existed).
/// </summary>
public class CommittedAssetsTests
{
    [Fact]
    public void The_committed_test_model_has_the_graph_the_current_exporter_writes()
    {
        var committed = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "assets", "paper-gray-64.onnx")));
        using var fresh = CastingArchitectures.Paper(grayscale: true, imageSize: 64);
        fresh.Build(1);
        var current = ModelProto.Parser.ParseFrom(fresh.ToOnnx(0.5f));
        Assert.Equal(Describe(current), Describe(committed));
        Assert.Equal(current.MetadataProps.Select(p => p.Key).Order(), committed.MetadataProps.Select(p => p.Key).Order());
    }

    private static string Describe(ModelProto model)
    {
        var g = model.Graph;
        return string.Join("\n", [
            $"ir {model.IrVersion} opset {string.Join(",", model.OpsetImport.Select(o => $"{o.Domain}:{o.Version}"))}",
            "inputs " + string.Join(",", g.Input.Select(i => $"{i.Name}[{string.Join("x", i.Type.TensorType.Shape.Dim.Select(d => d.DimParam.Length > 0 ? d.DimParam : d.DimValue.ToString()))}]")),
            "outputs " + string.Join(",", g.Output.Select(o => o.Name)),
            "nodes " + string.Join(",", g.Node.Select(n => n.OpType)),
            "initializers " + string.Join(",", g.Initializer.Select(t => $"{t.Name}[{string.Join("x", t.Dims)}]").Order()),
        ]);
    }
}
