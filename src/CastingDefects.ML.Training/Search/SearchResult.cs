using System.Globalization;
using CastingDefects.ML.Data;
using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Models;
using Microsoft.ML;

namespace CastingDefects.ML.Training.Search;

/// <summary>
/// What a <see cref="CastingModelSearch"/> found: the leaderboard (best first) and the winner, fitted and ready to save
/// like any trainer's model (<c>mlContext.Model.Save(Model, ...)</c>, <see cref="OnnxModel"/>).
/// </summary>
public sealed class SearchResult : IDisposable
{
    internal SearchResult(IReadOnlyList<SearchTrial> leaderboard, SearchTrial best, ITransformer model, Sequential network,
        History history, byte[] onnxModel, float threshold, CastingImageOptions image, bool cancelled)
    {
        Leaderboard = leaderboard;
        Best = best;
        Model = model;
        Network = network;
        History = history;
        OnnxModel = onnxModel;
        Threshold = threshold;
        Image = image;
        Cancelled = cancelled;
    }

    /// <summary>Every trial, best first (failed trials last).</summary>
    public IReadOnlyList<SearchTrial> Leaderboard { get; }

    /// <summary>The winner's row.</summary>
    public SearchTrial Best { get; }

    /// <summary>The winner as an ML.NET model: image loading plus the fitted network (input: <c>ImagePath</c>).</summary>
    public ITransformer Model { get; }

    /// <summary>The winner's network.</summary>
    public Sequential Network { get; }

    /// <summary>The winner's training history.</summary>
    public History History { get; }

    /// <summary>The winner's ONNX network (with its threshold and heatmap output).</summary>
    public byte[] OnnxModel { get; }

    /// <summary>The winner's decision threshold (binary).</summary>
    public float Threshold { get; }

    /// <summary>The winner's input.</summary>
    public CastingImageOptions Image { get; }

    /// <summary>The leaderboard as lines of the HTML report.</summary>
    public IEnumerable<string> ReportNotes() =>
        new[] { $"Model search: {Leaderboard.Count} trials ranked on the validation images; winner {Best.Candidate.Name}" + (Cancelled ? " (cancelled: best so far)" : "") }
            .Concat(Leaderboard.Select(t => string.Create(CultureInfo.InvariantCulture,
                $"{(t == Best ? "winner " : "")}{t.Candidate.Name}: {t.Candidate.ImageSize} px, {t.Parameters:N0} parameters, {t.Epochs} epochs, val accuracy {t.ValidationAccuracy:P2}, AUC {(t.ValidationAuc is { } a ? a.ToString("F4", CultureInfo.InvariantCulture) : "-")}, {t.TrainSeconds:F0} s, {t.MillisecondsPerImage:F2} ms/image, {t.StatusText}")));

    /// <summary>True when the search was cancelled (Ctrl-C) and this is the best model until then.</summary>
    public bool Cancelled { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        CastingDefects.ML.Inference.TransformerDisposal.DisposeModel(Model);
        Network.Dispose();
    }
}
