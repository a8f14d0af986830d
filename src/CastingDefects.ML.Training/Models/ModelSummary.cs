using System.Globalization;
using System.Text;
using CastingDefects.ML.Training.Layers;

namespace CastingDefects.ML.Training.Models;

/// <summary>
/// Keras's model summary, for every model (a <see cref="Sequential"/> is a linear <see cref="Functional"/>): one row
/// per layer with its output shape and parameters, and for a graph with branches the layers each one is connected to;
/// then total, trainable and non-trainable parameters.
/// </summary>
internal static class ModelSummary
{
    /// <summary>The rows of a graph: one per layer call, in execution order.</summary>
    public static IReadOnlyList<SummaryRow> Rows(Functional model) => model.Nodes.Select(n => new SummaryRow(n.Layer.Name, n.Layer.KerasType, n.Output.Shape,
        n.Layer.EffectiveTrainable(n.Inputs[0].Shape) + n.Layer.EffectiveNonTrainable(n.Inputs[0].Shape))
    {
        ConnectedTo = n.Inputs.Select(i => i.Node?.Layer.Name ?? "input").ToList(),
    }).ToList();

    /// <summary>Total, trainable and non-trainable parameters, counted as Keras counts them.</summary>
    public static ParameterCounts Count(Functional model)
    {
        long trainable = model.TrainableParameters(model.InputShape), nonTrainable = model.NonTrainableParameters(model.InputShape);
        return new ParameterCounts(trainable + nonTrainable, trainable, nonTrainable);
    }

    /// <summary>The summary text; <paramref name="connections"/> adds the "Connected to" column.</summary>
    public static string Format(Functional model, bool connections)
    {
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        var rows = Rows(model);
        var labels = rows.Select(r => $"{r.Name} ({r.Type})").Prepend("input (InputLayer)").ToList();
        int nameWidth = Math.Max(28, labels.Max(l => l.Length) + 2);
        int shapeWidth = Math.Max(22, rows.Select(r => r.OutputShape.ToString().Length).Append(model.InputShape.ToString().Length).Max() + 2);
        int width = 1 + nameWidth + shapeWidth + 12 + (connections ? 2 + Math.Max(12, rows.Select(r => string.Join(", ", r.ConnectedTo).Length).DefaultIfEmpty().Max()) : 0);
        string rule = new('_', width), doubleRule = new('=', width);
        string Line(string name, TensorShape shape, long parameters, string connected) =>
            " " + name.PadRight(nameWidth) + shape.ToString().PadRight(shapeWidth) + parameters.ToString("N0", ci).PadLeft(12) + (connections ? "  " + connected : "");
        sb.AppendLine(ci, $"Model: \"{model.Name}\"");
        sb.AppendLine(rule);
        sb.AppendLine(" " + "Layer (type)".PadRight(nameWidth) + "Output Shape".PadRight(shapeWidth) + "Param #".PadLeft(12) + (connections ? "  Connected to" : ""));
        sb.AppendLine(doubleRule);
        sb.AppendLine(Line(labels[0], model.InputShape, 0, ""));
        for (int i = 0; i < rows.Count; i++) sb.AppendLine(Line(labels[i + 1], rows[i].OutputShape, rows[i].Parameters, string.Join(", ", rows[i].ConnectedTo)));
        sb.AppendLine(doubleRule);
        var counts = Count(model);
        sb.AppendLine(ci, $"Total params: {counts.Total:N0} ({FormatBytes(counts.Total * 4)})");
        sb.AppendLine(ci, $"Trainable params: {counts.Trainable:N0} ({FormatBytes(counts.Trainable * 4)})");
        sb.AppendLine(ci, $"Non-trainable params: {counts.NonTrainable:N0} ({FormatBytes(counts.NonTrainable * 4)})");
        sb.AppendLine(rule);
        return sb.ToString();
    }

    private static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes:N2} B",
        < 1024 * 1024 => $"{bytes / 1024.0:N2} KB",
        _ => $"{bytes / (1024.0 * 1024):N2} MB",
    };
}
