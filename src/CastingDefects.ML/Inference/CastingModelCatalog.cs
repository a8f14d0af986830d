using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using CastingDefects.ML.Data;
using CastingDefects.ML.IO;

namespace CastingDefects.ML.Inference;

/// <summary>Building and loading the ML.NET models (.zip) that wrap an exported ONNX network.</summary>
public static class CastingModelCatalog
{
    /// <summary>
    /// The scoring part of a model: ONNX network on the <c>Features</c> column, then scalar <c>Score</c>,
    /// <c>Probability</c> and <c>PredictedLabel</c>.
    /// </summary>
    public static IEstimator<ITransformer> ScoreWithOnnx(this TransformsCatalog catalog, byte[] onnxModel, CastingImageOptions image) =>
        ScoreWithOnnx(catalog, onnxModel, image, heatmap: false);

    /// <summary>
    /// The scoring part of a model; with <paramref name="heatmap"/> also the network's own heatmap as column
    /// <c>Heatmap</c> (H x W values, see <see cref="CastingHeatmapVerdict"/>): the Grad-CAM output of a classifier
    /// exported with it, or an anomaly detector's map. A network without one is refused, naming what to do.
    /// </summary>
    public static IEstimator<ITransformer> ScoreWithOnnx(this TransformsCatalog catalog, byte[] onnxModel, CastingImageOptions image, bool heatmap)
    {
        ArgumentNullException.ThrowIfNull(onnxModel);
        ArgumentNullException.ThrowIfNull(image);
        string? map = heatmap ? HeatmapOutput(onnxModel) : null;
        string[] onnxOutputs = map is null
            ? [OnnxContract.LogitName, OnnxContract.ProbabilityName, OnnxContract.DecisionName]
            : [OnnxContract.LogitName, OnnxContract.ProbabilityName, OnnxContract.DecisionName, map];
        var shapes = new Dictionary<string, int[]> { [OnnxContract.InputName] = [1, image.Channels, image.Height, image.Width] };
        return new SelfCleaningOnnxEstimator(onnxModel, file =>
        {
            IEstimator<ITransformer> chain = catalog.ApplyOnnxModel(onnxOutputs, [OnnxContract.InputName], file, shapes, gpuDeviceId: null, fallbackToCpu: false, recursionLimit: 100)
                .Append(catalog.CustomMapping(new ScoreColumnsMappingFactory().GetMapping(), ScoreColumnsMappingFactory.ContractName));
            if (map is not null) chain = chain.Append(catalog.CopyColumns(nameof(CastingHeatmapVerdict.Heatmap), map));
            return chain.Append(catalog.DropColumns(onnxOutputs));
        });
    }

    /// <summary>The name of the network's heatmap output (Grad-CAM or anomaly map); refused, naming what to do, when it has none.</summary>
    internal static string HeatmapOutput(byte[] onnxModel)
    {
        List<string> outputs;
        try
        {
            using var options = new Microsoft.ML.OnnxRuntime.SessionOptions { GraphOptimizationLevel = Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL };
            using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(onnxModel, options);
            outputs = session.OutputMetadata.Keys.ToList();
        }
        catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException e)
        {
            throw new InvalidDataException($"The ONNX network is not valid: {e.Message}", e);
        }
        return outputs.Contains(OnnxContract.HeatmapName) ? OnnxContract.HeatmapName
            : outputs.Contains(OnnxContract.AnomalyMapName) ? OnnxContract.AnomalyMapName
            : throw new ArgumentException("The ONNX network has no heatmap output: export it with its heatmap (Sequential.ToOnnx(heatmap: true)).", "heatmap");
    }

    /// <summary>
    /// Loads a model saved with <c>mlContext.Model.Save</c> (.zip) for prediction with the core package only.
    /// A missing, truncated or foreign file fails with an <see cref="InvalidDataException"/> naming it.
    /// </summary>
    public static ITransformer LoadCastingModel(this ModelOperationsCatalog catalog, string path, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        string full = InputFile.Require(path);
        bool guarded = false;
        try
        {
            using var zip = ZipFile.OpenRead(full);
            if (zip.Entries.Count == 0) throw new InvalidDataException("the archive is empty");
            foreach (var entry in zip.Entries)
            {
                // Reads every entry: a truncated archive fails here, with its name. Small entries (the transforms'
                // Model.key) are kept to see whether the model already carries the image guard.
                using var s = entry.Open();
                if (entry.Length > 64 * 1024) { s.CopyTo(Stream.Null); continue; }
                using var content = new MemoryStream();
                s.CopyTo(content);
                guarded |= HoldsGuard(content.GetBuffer().AsSpan(0, (int)content.Length));
            }
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Model file '{full}' is not a valid ML.NET model .zip (truncated or corrupt: {e.Message}).", e);
        }

        RegisterComponents(catalog);
        ITransformer model;
        try
        {
            model = catalog.Load(full, out inputSchema);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"Model file '{full}' could not be loaded as an ML.NET model: {DiagnoseOnnx(full) ?? Describe(e)}", e);
        }
        // Models saved before the image guard existed load ML.NET's image loader without it: put it in front (once).
        if (!guarded && inputSchema.GetColumnOrNull(nameof(ImagePathColumn.ImagePath)) is { Type: TextDataViewType })
        {
            var guard = Runtime.MLNetInternals.Transforms(Runtime.MLNetInternals.Environment(catalog)).CustomMapping(new ImageGuardMappingFactory().GetMapping(), ImageGuardMappingFactory.ContractName)
                .Fit(new EmptyView(inputSchema));
            model = new TransformerChain<ITransformer>(guard, model);
        }
        return model;
    }

    /// <summary>Whether saved transform bytes name the image guard's contract (ML.NET stores strings as UTF-8 or UTF-16).</summary>
    internal static bool HoldsGuard(ReadOnlySpan<byte> bytes) =>
        bytes.IndexOf(GuardUtf8) >= 0 || bytes.IndexOf(GuardUtf16) >= 0;

    private static readonly byte[] GuardUtf8 = System.Text.Encoding.UTF8.GetBytes(ImageGuardMappingFactory.ContractName);
    private static readonly byte[] GuardUtf16 = System.Text.Encoding.Unicode.GetBytes(ImageGuardMappingFactory.ContractName);

    /// <summary>
    /// After a failed load: what is wrong with the ONNX network inside the .zip (empty, not ONNX, another input), or
    /// null when the network looks right. ML.NET stores it as a 4-byte length and the ONNX bytes.
    /// </summary>
    private static string? DiagnoseOnnx(string zipPath)
    {
        try
        {
            using var zip = ZipFile.OpenRead(zipPath);
            foreach (var entry in SavedOnnxNetwork.Entries(zip))
            {
                if (SavedOnnxNetwork.Read(entry, out int stored) is not { } network) return $"its ONNX network ('{entry.FullName}') is empty or cut short ({stored} bytes)";
                try
                {
                    using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(network);
                    if (!session.InputMetadata.TryGetValue(OnnxContract.InputName, out var input))
                        return $"its ONNX network takes {string.Join(", ", session.InputMetadata.Keys.Select(k => $"'{k}'"))}, not '{OnnxContract.InputName}': it was not exported by CastingDefects.ML";
                    if (input.Dimensions.Length != 4)
                        return $"its ONNX network's input '{OnnxContract.InputName}' has {input.Dimensions.Length} dimensions; an image network takes 4 [N, C, H, W]";
                }
                catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException onnx)
                {
                    return $"its ONNX network ('{entry.FullName}') is not a valid ONNX model: {onnx.Message}";
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            return null;
        }
        return null;
    }

    /// <summary>
    /// The messages along an exception's inner chain, generic wrappers left out: ML.NET reports a bad ONNX network
    /// inside a .zip as "Error during class instantiation" around ONNX Runtime's own message, which says what is wrong.
    /// </summary>
    private static string Describe(Exception e)
    {
        var messages = new List<string>();
        for (var x = e; x is not null; x = x.InnerException)
        {
            string m = x.Message.Trim();
            if (x is System.Reflection.TargetInvocationException || m.StartsWith("Error during class instantiation", StringComparison.Ordinal)) continue;
            if (m.Length > 0 && !messages.Any(seen => seen.Contains(m, StringComparison.Ordinal))) messages.Add(m);
        }
        return messages.Count == 0 ? e.Message : string.Join(": ", messages);
    }

    /// <summary>A view with a schema and no rows, to fit schema-only transforms on.</summary>
    internal sealed class EmptyView(DataViewSchema schema) : IDataView
    {
        public bool CanShuffle => false;
        public DataViewSchema Schema => schema;
        public long? GetRowCount() => 0;
        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => throw new NotSupportedException("An empty schema-only view has no rows.");
        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [GetRowCursor(columnsNeeded, rand)];
    }

    /// <summary>
    /// Saves a model like <c>mlContext.Model.Save</c>, but creates the folder and writes atomically: a crash mid-save
    /// leaves any previous file intact.
    /// </summary>
    public static void SaveCastingModel(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema inputSchema, string path)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        AtomicFile.Write(path, stream => catalog.Save(model, inputSchema, stream));
    }

    /// <summary>Loads a model (.zip); see <see cref="LoadCastingModel(ModelOperationsCatalog, string, out DataViewSchema)"/>.</summary>
    public static ITransformer LoadCastingModel(this ModelOperationsCatalog catalog, string path) => catalog.LoadCastingModel(path, out _);

    /// <summary>
    /// Registers this assembly's saveable components (the score mapping) with the context that owns
    /// <paramref name="catalog"/>; loading a model .zip needs it. Same as
    /// <c>mlContext.ComponentCatalog.RegisterAssembly(typeof(ScoreColumnsMappingFactory).Assembly)</c>.
    /// </summary>
    public static void RegisterComponents(ModelOperationsCatalog catalog)
    {
        var components = Runtime.MLNetInternals.Environment(catalog).ComponentCatalog;
        components.RegisterAssembly(typeof(ScoreColumnsMappingFactory).Assembly); // also PredictedClassMappingFactory
    }
}
