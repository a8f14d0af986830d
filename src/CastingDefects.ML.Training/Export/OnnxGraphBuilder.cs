using Google.Protobuf;
using Onnx;

namespace CastingDefects.ML.Training.Export;

/// <summary>
/// Accumulates ONNX nodes and initializers (float32) into a <see cref="ModelProto"/>; a layer's
/// <see cref="Layers.Layer.ExportOnnx"/> writes its nodes here.
/// </summary>
public sealed class OnnxGraphBuilder
{
    /// <summary>Opset the exporter targets.</summary>
    public const int Opset = 17;

    private readonly GraphProto _graph = new() { Name = "castingdefects" };
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);

    /// <summary>A fresh value name with the given stem.</summary>
    public string Unique(string stem)
    {
        _counters.TryGetValue(stem, out int n);
        _counters[stem] = n + 1;
        return n == 0 ? stem : $"{stem}_{n}";
    }

    /// <summary>Adds a float initializer and returns its name.</summary>
    public string Initializer(string stem, float[] values, params long[] dims)
    {
        long expected = dims.Aggregate(1L, (a, b) => a * b);
        if (expected != values.Length) throw new ArgumentException($"Initializer {stem}: {values.Length} values for shape [{string.Join(",", dims)}].");
        string name = Unique(stem);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        tensor.RawData = ByteString.CopyFrom(bytes);
        _graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Adds an int64 initializer and returns its name.</summary>
    public string InitializerInt64(string stem, params long[] values)
    {
        string name = Unique(stem);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        _graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Adds a string initializer (UTF-8) and returns its name.</summary>
    public string InitializerStrings(string stem, IReadOnlyList<string> values)
    {
        string name = Unique(stem);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.String };
        tensor.Dims.Add(values.Count);
        foreach (var v in values) tensor.StringData.Add(ByteString.CopyFromUtf8(v));
        _graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Adds a node and returns the name of its (first) output.</summary>
    public string Node(string opType, string[] inputs, string? output = null, params AttributeProto[] attributes)
    {
        output ??= Unique(opType.ToLowerInvariant());
        var node = new NodeProto { OpType = opType, Name = Unique("node_" + opType.ToLowerInvariant()) };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return output;
    }

    /// <summary>An integer-list attribute.</summary>
    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>An integer attribute.</summary>
    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A string attribute (UTF-8).</summary>
    public static AttributeProto String(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>A float attribute.</summary>
    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>Declares a graph input: float [N, dims…] with a symbolic batch dimension.</summary>
    public void Input(string name, params long[] dims) => _graph.Input.Add(ValueInfo(name, TensorProto.Types.DataType.Float, dims));

    /// <summary>Declares a graph output: float [N, dims…].</summary>
    public void Output(string name, params long[] dims) => _graph.Output.Add(ValueInfo(name, TensorProto.Types.DataType.Float, dims));

    /// <summary>Declares a graph output: string [N].</summary>
    public void OutputStrings(string name) => _graph.Output.Add(ValueInfo(name, TensorProto.Types.DataType.String, []));

    /// <summary>Finishes the model with the given metadata.</summary>
    public ModelProto Build(IReadOnlyDictionary<string, string> metadata, string docString)
    {
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "CastingDefects.ML",
            ProducerVersion = typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString() ?? "0",
            DocString = docString,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, long[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
