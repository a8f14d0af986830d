using Microsoft.ML;

namespace CastingDefects.ML.Inference;

/// <summary>
/// An ONNX scoring chain built from network bytes whose fitted transformer cleans up after itself.
/// <para>
/// ML.NET's <c>ApplyOnnxModel</c> over a stream copies the network to a file in the temporary folder that its
/// transformer does not own: disposing the transformer leaves the file (one per trained or scored model, 61 MB for a
/// ResNet18 transfer model). Here the network is written to a file of our own, the chain is fitted over it, and the fitted
/// chain goes through a save and load in memory: the loaded ONNX transformer owns its copy and deletes it on Dispose
/// (<see cref="TransformerDisposal.DisposeModel"/>); our file is deleted at once.
/// </para>
/// </summary>
internal sealed class SelfCleaningOnnxEstimator(byte[] onnxModel, Func<string, IEstimator<ITransformer>> buildOverFile) : IEstimator<ITransformer>
{
    public ITransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return OverFile(path =>
        {
            var fitted = buildOverFile(path).Fit(input);
            try
            {
                var ml = new MLContext();
                CastingModelCatalog.RegisterComponents(ml.Model);
                using var saved = new MemoryStream();
                ml.Model.Save(fitted, input.Schema, saved);
                saved.Position = 0;
                return ml.Model.Load(saved, out _);
            }
            finally
            {
                fitted.DisposeModel();
            }
        });
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => OverFile(path => buildOverFile(path).GetOutputSchema(inputSchema));

    private T OverFile<T>(Func<string, T> use)
    {
        string path = Path.Combine(Path.GetTempPath(), $"castingdefects-{Environment.ProcessId}-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, onnxModel);
        try
        {
            return use(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
