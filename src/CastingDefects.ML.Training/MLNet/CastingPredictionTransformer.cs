using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>
/// The fitted transformer of every casting classifier trainer: it scores with the exported ONNX network (columns
/// <c>Score</c>, <c>Probability</c>, <c>PredictedLabel</c>; for several classes <c>Score</c> and a key
/// <c>PredictedLabel</c>) and exposes what the fit produced as <see cref="Model"/>, the way ML.NET's trainers return a
/// typed prediction transformer. It saves with <c>mlContext.Model.Save</c> as its scoring chain, which loads with the
/// core package alone (no libtorch). Disposing it releases the scoring chain and the network.
/// </summary>
public sealed class CastingPredictionTransformer : ITransformer, ICanSaveModel, IDisposable
{
    private readonly ITransformer _scorer;

    internal CastingPredictionTransformer(ITransformer scorer, CastingClassifierModel model)
    {
        _scorer = scorer;
        Model = model;
    }

    /// <summary>The trained network, its history, ONNX model, threshold and classes.</summary>
    public CastingClassifierModel Model { get; }

    /// <inheritdoc />
    public bool IsRowToRowMapper => _scorer.IsRowToRowMapper;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _scorer.GetOutputSchema(inputSchema);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _scorer.GetRowToRowMapper(inputSchema);

    /// <inheritdoc />
    public IDataView Transform(IDataView input) => _scorer.Transform(input);

    /// <summary>Saves the scoring chain: a saved model needs neither TorchSharp nor this type to load.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => ((ICanSaveModel)_scorer).Save(ctx);

    /// <inheritdoc />
    public void Dispose()
    {
        Inference.TransformerDisposal.DisposeModel(_scorer);
        Model.Network.Dispose();
    }
}
