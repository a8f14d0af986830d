using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.MLNet;
using CastingDefects.ML.Training.Search;
using Microsoft.ML;

namespace CastingDefects.ML.Training.Workflow;

/// <summary>What <see cref="CastingExperiment.Run"/> produced: the saved model reloaded, the trained network and the held-out figures.</summary>
public sealed class CastingExperimentResult : IDisposable
{
    private readonly ITransformer _fitted;

    internal CastingExperimentResult(string modelPath, ITransformer model, CastingClassifierModel classifier, SearchResult? search, ITransformer fitted,
        ImageFolderDataset train, HeldOutScore validation, HeldOutScore? test, string? reportPath, bool stillImproving, TimeSpan elapsed)
    {
        ModelPath = modelPath;
        Model = model;
        Classifier = classifier;
        Search = search;
        _fitted = fitted;
        Train = train;
        Validation = validation;
        Test = test;
        ReportPath = reportPath;
        StillImproving = stillImproving;
        Elapsed = elapsed;
    }

    /// <summary>The saved model file.</summary>
    public string ModelPath { get; }

    /// <summary>The saved model as loaded back from <see cref="ModelPath"/>: what users predict with.</summary>
    public ITransformer Model { get; }

    /// <summary>The trained network, its history, ONNX model, threshold and classes.</summary>
    public CastingClassifierModel Classifier { get; }

    /// <summary>The search's leaderboard when the experiment searched; otherwise null.</summary>
    public SearchResult? Search { get; }

    /// <summary>The images trained on.</summary>
    public ImageFolderDataset Train { get; }

    /// <summary>The saved model on the validation images (which chose the best epoch and the threshold: optimistic).</summary>
    public HeldOutScore Validation { get; }

    /// <summary>The saved model on the test images (which chose nothing: the figures to quote), or null without a test set.</summary>
    public HeldOutScore? Test { get; }

    /// <summary>The HTML report, when one was asked for.</summary>
    public string? ReportPath { get; }

    /// <summary>True when the epochs ran out while validation loss was still falling: the run was too short.</summary>
    public bool StillImproving { get; }

    /// <summary>Wall-clock time of the whole experiment.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Releases the loaded model, the fitted one and its network.</summary>
    public void Dispose()
    {
        Model.DisposeModel();
        if (Search is not null) Search.Dispose(); // owns the winner's model and network
        else _fitted.DisposeModel(); // the typed transformer owns the network
    }
}
