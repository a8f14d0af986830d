using System.Globalization;
using System.Text;
using CastingDefects.ML.Training.Callbacks;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Export;
using CastingDefects.ML.IO;
using CastingDefects.ML.Training.Fitting;
using CastingDefects.ML.Training.Layers;
using ActivationKind = CastingDefects.ML.Training.Layers.Activation;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Models;

/// <summary>
/// A Keras-style sequential model, channels first: a linear <see cref="Functional"/> graph (<see cref="Graph"/>) with a
/// fluent builder, as Keras builds its <c>Sequential</c>. The graph drives the TorchSharp module (training, the same
/// <see cref="GraphModule"/> as every functional model), the ONNX graph (deployment, one exporter) and
/// <see cref="Summary"/>.
/// </summary>
/// <example>
/// <code>
/// var net = new Sequential(input: (channels: 1, height: 300, width: 300))
///     .Conv2D(16, 3, activation: Activation.ReLU).BatchNormalization().MaxPooling2D(2)
///     .GlobalAveragePooling2D().Dense(1, Activation.Sigmoid);
/// Console.WriteLine(net.Summary());
/// </code>
/// </example>
public sealed class Sequential : IDisposable
{
    private readonly List<Layer> _layers = new();
    private readonly Dictionary<string, int> _nameCounts = new(StringComparer.Ordinal);
    private GraphModule? _module;
    private Functional? _graph;

    /// <summary>Creates an empty model for inputs of the given shape.</summary>
    public Sequential((int channels, int height, int width) input, string name = "sequential")
    {
        if (input.channels <= 0 || input.height <= 0 || input.width <= 0)
            throw new ArgumentOutOfRangeException(nameof(input), input, "Input channels, height and width must be positive.");
        InputShape = new TensorShape(input.channels, input.height, input.width);
        Name = name;
    }

    /// <summary>Model name (shown by <see cref="Summary"/> and stored in exported models).</summary>
    public string Name { get; }

    /// <summary>Shape of one input sample (C, H, W).</summary>
    public TensorShape InputShape { get; }

    /// <summary>The layers, in order.</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <summary>Shape of the model's output.</summary>
    public TensorShape OutputShape => _layers.Aggregate(InputShape, (shape, layer) => layer.OutputShape(shape));

    /// <summary>The head, from the last layer: one sigmoid unit or two softmax units.</summary>
    public HeadKind Head
    {
        get
        {
            if (_layers.Count == 0) throw new InvalidOperationException($"Model '{Name}' has no layers.");
            var output = OutputShape;
            var activation = (_layers[^1] as IHasActivation)?.Activation ?? ActivationKind.Linear;
            if (output is { IsImage: false, Channels: 1 } && activation == ActivationKind.Sigmoid) return HeadKind.Sigmoid1;
            if (output is { IsImage: false, Channels: 2 } && activation == ActivationKind.Softmax) return HeadKind.Softmax2;
            if (output is { IsImage: false, Channels: > 2 } && activation == ActivationKind.Softmax) return HeadKind.SoftmaxN;
            throw new InvalidOperationException(
                $"Model '{Name}' must end in Dense(1, Activation.Sigmoid) or Dense(2, Activation.Softmax) for binary classification, or Dense(K, Activation.Softmax) for K classes; it ends in {_layers[^1].KerasType} with output {output}.");
        }
    }

    /// <summary>Appends a layer, naming it Keras-style (conv2d, conv2d_1, …); the output shape is checked now.</summary>
    public Sequential Add(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (_module is not null) throw new InvalidOperationException($"Model '{Name}' is already built; add layers before training or exporting.");
        if (layer.Name.Length == 0)
        {
            string stem = GraphScope.SnakeCase(layer.KerasType);
            do
            {
                _nameCounts.TryGetValue(stem, out int n);
                _nameCounts[stem] = n + 1;
                layer.Name = n == 0 ? stem : $"{stem}_{n}";
            } while (_layers.Any(l => l.Name == layer.Name));
        }
        else if (_layers.Any(l => l.Name == layer.Name))
            throw new ArgumentException($"Model '{Name}' already has a layer named '{layer.Name}'.", nameof(layer));
        var input = OutputShape;
        layer.OutputShape(input); // validates
        _layers.Add(layer);
        _graph = null;
        return this;
    }

    /// <summary>Appends <see cref="Layers.Conv2D"/>.</summary>
    public Sequential Conv2D(int filters, int kernel, int strides = 1, Padding padding = Padding.Valid, ActivationKind activation = ActivationKind.Linear,
        int dilation = 1, int groups = 1, bool useBias = true) =>
        Add(new Conv2D(filters, kernel, strides, padding, activation, dilation, groups, useBias));

    /// <summary>Appends <see cref="Layers.BatchNormalization"/>.</summary>
    public Sequential BatchNormalization(double momentum = 0.99, double epsilon = 1e-3) => Add(new BatchNormalization(momentum, epsilon));

    /// <summary>Appends <see cref="Layers.MaxPooling2D"/>.</summary>
    public Sequential MaxPooling2D(int poolSize = 2, int? strides = null, Padding padding = Padding.Valid) => Add(new MaxPooling2D(poolSize, strides, padding));

    /// <summary>Appends <see cref="Layers.AveragePooling2D"/>.</summary>
    public Sequential AveragePooling2D(int poolSize = 2, int? strides = null, Padding padding = Padding.Valid) => Add(new AveragePooling2D(poolSize, strides, padding));

    /// <summary>Appends <see cref="Layers.GlobalAveragePooling2D"/>.</summary>
    public Sequential GlobalAveragePooling2D() => Add(new GlobalAveragePooling2D());

    /// <summary>Appends <see cref="Layers.GlobalMaxPooling2D"/>.</summary>
    public Sequential GlobalMaxPooling2D() => Add(new GlobalMaxPooling2D());

    /// <summary>Appends <see cref="Layers.Dense"/>.</summary>
    public Sequential Dense(int units, ActivationKind activation = ActivationKind.Linear, bool useBias = true) => Add(new Dense(units, activation, useBias));

    /// <summary>Appends <see cref="Layers.Dropout"/>.</summary>
    public Sequential Dropout(double rate) => Add(new Dropout(rate));

    /// <summary>Appends <see cref="Layers.Flatten"/>.</summary>
    public Sequential Flatten() => Add(new Flatten());

    /// <summary>Appends <see cref="Layers.ZeroPadding2D"/>.</summary>
    public Sequential ZeroPadding2D(int padding = 1) => Add(new ZeroPadding2D(padding));

    /// <summary>Appends a standalone activation layer.</summary>
    public Sequential Activation(ActivationKind activation) => Add(new ActivationLayer(activation));

    /// <summary>
    /// A new model with <paramref name="first"/> in front of this model's layers (for example a fitted
    /// <see cref="ZcaWhitening"/>), same name and input. Only for models not built yet.
    /// </summary>
    public Sequential Prepend(Layer first)
    {
        ArgumentNullException.ThrowIfNull(first);
        if (_module is not null) throw new InvalidOperationException($"Model '{Name}' is already built.");
        var model = new Sequential((InputShape.Channels, InputShape.Height, InputShape.Width), Name).Add(first);
        foreach (var layer in _layers) model.Add(layer);
        return model;
    }

    /// <summary>Rows of the summary: name, type, output shape, parameters.</summary>
    public IReadOnlyList<SummaryRow> SummaryRows() => ModelSummary.Rows(Graph);

    /// <summary>Total, trainable and non-trainable parameters, counted as Keras counts them.</summary>
    public ParameterCounts CountParameters() => ModelSummary.Count(Graph);

    /// <summary>Keras's model summary: one row per layer, then total, trainable and non-trainable parameters.</summary>
    public string Summary() => ModelSummary.Format(Graph, connections: false);

    /// <summary>The model as a functional graph: the input, then each layer called on the previous layer's output.</summary>
    public Functional Graph => _graph ??= BuildGraph();

    private Functional BuildGraph()
    {
        var input = Functional.Input((InputShape.Channels, InputShape.Height, InputShape.Width));
        var x = input;
        foreach (var layer in _layers) x = layer.Call(x);
        return new Functional(input, x, Name);
    }

    /// <summary>
    /// The TorchSharp module (the graph's, returning logits), built on first use with Keras's initialisers from the
    /// global torch seed.
    /// </summary>
    public GraphModule Module => _module ??= Build();

    /// <summary>Builds the module now with weights initialised from <paramref name="seed"/>.</summary>
    public GraphModule Build(int seed)
    {
        if (_module is not null) throw new InvalidOperationException($"Model '{Name}' is already built.");
        manual_seed(seed);
        return _module = Build();
    }

    /// <summary>True once the TorchSharp module exists.</summary>
    public bool IsBuilt => _module is not null;

    private GraphModule Build()
    {
        _ = Head; // validates the last layer before anything is allocated
        return new GraphModule(Graph, logits: true);
    }

    /// <summary>
    /// Trains the model (Keras's <c>fit</c>); see <see cref="FitOptions"/>. <paramref name="epochs"/> and
    /// <paramref name="batchSize"/> default to the options' values (20 and 32 unless set there).
    /// </summary>
    public History Fit(ImageTensorData train, ImageTensorData? validation = null, int? epochs = null, int? batchSize = null,
        IReadOnlyList<Callback>? callbacks = null, FitOptions? options = null)
    {
        var effective = (options ?? new FitOptions()).With(epochs, batchSize); // the caller's options stay as they were
        return new Trainer(this, effective).Fit(train, validation, callbacks ?? []);
    }

    /// <summary>Number of classes the head separates (2 for the binary heads).</summary>
    public int Classes => Head == HeadKind.SoftmaxN ? OutputShape.Channels : 2;

    /// <summary>
    /// Probability of the defect class for each sample (binary heads), or of each class, row by row, N x K
    /// (multiclass head), in inference mode.
    /// </summary>
    public float[] PredictProbabilities(ImageTensorData data, int batchSize = 64)
    {
        var module = Module;
        module.eval();
        var result = new float[data.Count * (Head == HeadKind.SoftmaxN ? Classes : 1)];
        using var _ = no_grad();
        for (int start = 0; start < data.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(batchSize, data.Count - start);
            var x = Runtime.ChannelsLast.Apply(data.Batch(Enumerable.Range(start, n).ToArray()).Features);
            var p = Probabilities(module.forward(x));
            TensorData.ToArray(p).CopyTo(result, start * (Head == HeadKind.SoftmaxN ? Classes : 1));
        }
        return result;
    }

    /// <summary>Turns logits into the defect probability, per <see cref="Head"/>.</summary>
    internal Tensor Probabilities(Tensor logits) => Head switch
    {
        HeadKind.Sigmoid1 => nn.functional.sigmoid(logits.reshape(-1)),
        HeadKind.Softmax2 => nn.functional.softmax(logits, 1).select(1, 1),
        _ => nn.functional.softmax(logits, 1),
    };

    /// <summary>
    /// Exports the trained model to ONNX (opset 17) with BatchNormalization folded where the math allows. With
    /// <paramref name="heatmap"/> the graph also returns its Grad-CAM map (<see cref="Inference.OnnxContract.HeatmapName"/>,
    /// see <see cref="Explainability.GradCam"/>): null adds it when the head admits it (global average pooling and Dense
    /// layers, as every architecture of the library), true requires it, false leaves it out.
    /// </summary>
    public void ExportOnnx(string path, float threshold = 0.5f, IReadOnlyDictionary<string, string>? metadata = null, bool? heatmap = null)
    {
        byte[] bytes = ToOnnx(threshold, metadata, heatmap);
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    /// <summary>The ONNX model as bytes; see <see cref="ExportOnnx"/>.</summary>
    public byte[] ToOnnx(float threshold = 0.5f, IReadOnlyDictionary<string, string>? metadata = null, bool? heatmap = null) =>
        OnnxExporter.Classifier(this, threshold, metadata, null, heatmap);

    /// <summary>
    /// The ONNX model of a multiclass network: probabilities [N, K], the predicted class name [N] and, as in
    /// <see cref="ExportOnnx"/>, the heatmap of the predicted class.
    /// </summary>
    public byte[] ToOnnx(IReadOnlyList<string> classNames, IReadOnlyDictionary<string, string>? metadata = null, bool? heatmap = null)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        if (Head != HeadKind.SoftmaxN || classNames.Count != Classes)
            throw new ArgumentException($"Model '{Name}' has a {Head} head for {Classes} classes; got {classNames.Count} class names.", nameof(classNames));
        return OnnxExporter.Classifier(this, 0.5f, metadata, classNames, heatmap);
    }

    /// <summary>Saves the weights (TorchSharp format, keyed by layer name), atomically: an interrupted save leaves the old file intact.</summary>
    public void SaveWeights(string path) => AtomicFile.Write(path, stream => Weights.ModuleWeights.Save(this, stream));

    /// <summary>Writes the weights (TorchSharp format, keyed by layer name) to <paramref name="stream"/>.</summary>
    public void SaveWeights(Stream stream) => Weights.ModuleWeights.Save(this, stream);

    /// <summary>
    /// Reads weights written by <see cref="SaveWeights(Stream)"/> (or by an earlier version, keyed by position) into a
    /// model of the same architecture.
    /// </summary>
    public void LoadWeights(Stream stream) => Weights.ModuleWeights.Load(this, stream);

    /// <summary>Loads weights saved by <see cref="SaveWeights(string)"/> into a model of the same architecture.</summary>
    public void LoadWeights(string path)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"Weights file '{full}' does not exist.", full);
        try
        {
            using var stream = File.OpenRead(full);
            Weights.ModuleWeights.Load(this, stream);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not FileNotFoundException)
        {
            throw new InvalidDataException($"Weights file '{full}' does not fit model '{Name}' or is corrupt: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _module?.Dispose();
}
