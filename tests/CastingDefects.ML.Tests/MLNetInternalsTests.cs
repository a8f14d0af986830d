using CastingDefects.ML.Runtime;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.ML.Tests;

/// <summary>
/// The library's only use of ML.NET internals (<see cref="MLNetInternals"/>). When an ML.NET update moves one of them,
/// this test fails here, by name, instead of the catalog methods failing for users.
/// </summary>
public class MLNetInternalsTests
{
    [Fact]
    public void Catalogs_lead_to_the_callers_context_its_seed_and_its_components()
    {
        MLNetInternals.Verify();
        var seeded = new MLContext(seed: 11);
        var environment = MLNetInternals.Environment(seeded.BinaryClassification.Trainers);
        Assert.Equal(11, MLNetInternals.Seed(environment));
        Assert.Null(MLNetInternals.Seed(MLNetInternals.Environment(new MLContext().Model)));
        Assert.False(MLNetInternals.IsCanceled(environment));
        Assert.Same(seeded.ComponentCatalog, MLNetInternals.Environment(seeded.Model).ComponentCatalog);
        Assert.Same(seeded.Transforms, MLNetInternals.Transforms(seeded));
        // A catalog made for the environment logs to the context's Log, as the context's own catalogs do.
        var messages = new List<string>();
        seeded.Log += (_, e) => messages.Add(e.Source);
        var data = MLNetInternals.Data(environment);
        var view = data.LoadFromEnumerable(new[] { new Row { Value = 1f }, new Row { Value = 2f } });
        Assert.Equal([1f, 2f], view.GetColumn<float>(nameof(Row.Value)));
    }

    private sealed class Row
    {
        public float Value { get; set; }
    }
}
