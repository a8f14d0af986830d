using System.Globalization;
using System.Text;
using CastingDefects.ML.Benchmarking;

namespace CastingDefects.Cli;

/// <summary>
/// The paper's Tables 1, 3, 4 and 5 as markdown, measured figures side by side with the paper's (Bolla, Kingam,
/// Ethiraj 2022: Keras, Colab CPU, batch seconds).
/// </summary>
internal static class PaperTables
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    /// <summary>The paper's Table 1: total, trainable, non-trainable parameters and .h5 size in MB.</summary>
    public static IReadOnlyDictionary<string, (long Total, long Trainable, long NonTrainable, double SizeMb)> Table1 { get; } =
        new Dictionary<string, (long, long, long, double)>
        {
            ["paper"] = (5_865, 5_801, 64, 0.08),
            ["mobilenetv2"] = (2_260_546, 2_226_434, 34_112, 9.52),
            ["nasnetmobile"] = (4_271_830, 4_235_092, 36_738, 18.35),
            ["resnet50"] = (23_591_810, 23_538_690, 53_120, 94.89),
        };

    /// <summary>The paper's Table 4: seconds per batch of 1, 10, 50, 100 and 700 images.</summary>
    public static IReadOnlyDictionary<string, double[]> Table4 { get; } = new Dictionary<string, double[]>
    {
        ["paper"] = [0.0176, 0.1344, 0.3936, 1.1853, 12.6198],
        ["mobilenetv2"] = [0.0456, 0.3151, 1.2970, 2.6959, 21.7204],
        ["nasnetmobile"] = [0.0572, 1.1835, 3.5687, 3.5167, 26.6517],
        ["resnet50"] = [0.1596, 1.3304, 3.5780, 9.5807, 76.7329],
    };

    private static readonly int[] PaperBatches = [1, 10, 50, 100, 700];

    /// <summary>All four tables for one engine and thread setting (the paper measured one CPU configuration).</summary>
    public static string Markdown(IReadOnlyList<ModelFootprint> footprints, IReadOnlyList<LatencyResult> results, string engine = "onnxruntime", int threads = 1)
    {
        var sb = new StringBuilder();
        var custom = footprints.FirstOrDefault(f => f.Model == "paper-gray") ?? footprints.FirstOrDefault(f => f.Model == "paper");
        sb.AppendLine("### Table 1: parameters and model size");
        sb.AppendLine();
        sb.AppendLine("| Model | Total params | Trainable | Non-trainable | ONNX size (MB) | Paper: total | Paper: size (MB, .h5) |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var f in footprints)
        {
            var paper = PaperRow(f.Model);
            sb.AppendLine(Ci, $"| {f.Model} | {f.TotalParams:N0} | {f.TrainableParams:N0} | {f.NonTrainableParams:N0} | {f.OnnxMegabytes:F3} | {(paper is { } p ? p.Total.ToString("N0", Ci) : "–")} | {(paper is { } q ? q.SizeMb.ToString("F2", Ci) : "–")} |");
        }
        sb.AppendLine();
        sb.AppendLine("Comparison networks with the library's default head (one sigmoid unit); `summary --head softmax2` gives the paper's two-unit counts exactly.");
        sb.AppendLine();

        if (custom is not null)
        {
            sb.AppendLine(Ci, $"### Table 3: ratios to the custom model ({custom.Model})");
            sb.AppendLine();
            sb.AppendLine("| Model | Parameter ratio | Size ratio | Paper: parameter ratio | Paper: size ratio |");
            sb.AppendLine("|---|---:|---:|---:|---:|");
            foreach (var f in footprints)
            {
                var paper = PaperRow(f.Model);
                string paperRatios = paper is { } p ? $"{p.Total / 5865.0:F0}x | {p.SizeMb / 0.08:F0}x" : "– | –";
                sb.AppendLine(Ci, $"| {f.Model} | {(double)f.TotalParams / custom.TotalParams:F0}x | {(double)f.OnnxBytes / custom.OnnxBytes:F0}x | {paperRatios} |");
            }
            sb.AppendLine();
        }

        var measured = results.Where(r => r.Engine == engine && r.Threads == threads).ToList();
        var batches = measured.Select(r => r.Batch).Distinct().Order().ToList();
        if (measured.Count > 0)
        {
            sb.AppendLine(Ci, $"### Table 4: seconds per batch ({engine}, {threads} thread{(threads == 1 ? "" : "s")}, {measured[0].ImageSize}x{measured[0].ImageSize})");
            sb.AppendLine();
            sb.AppendLine("| Model | " + string.Join(" | ", batches.Select(b => $"batch {b}")) + " | Paper: " + string.Join(" / ", PaperBatches.Where(b => batches.Contains(b == 700 ? 715 : b))) + " |");
            sb.AppendLine("|---|" + string.Concat(batches.Select(_ => "---:|")) + "---|");
            foreach (var model in measured.Select(r => r.Model).Distinct())
            {
                var cells = batches.Select(b => measured.FirstOrDefault(r => r.Model == model && r.Batch == b) is { } r ? (r.MedianMs / 1000).ToString("F4", Ci) : "–");
                var paper = Table4.TryGetValue(PaperKey(model), out var t)
                    ? string.Join(" / ", PaperBatches.Select((b, i) => (b, t[i])).Where(x => batches.Contains(x.b == 700 ? 715 : x.b)).Select(x => x.Item2.ToString("F4", Ci)))
                    : "–";
                sb.AppendLine($"| {model} | {string.Join(" | ", cells)} | {paper} |");
            }
            sb.AppendLine();
            sb.AppendLine("The paper's last column is 700 images; the library measures its 715-image test set.");
            sb.AppendLine();

            sb.AppendLine(Ci, $"### Table 5: how many times slower than the custom model (paper-gray, {engine}, {threads} thread{(threads == 1 ? "" : "s")})");
            sb.AppendLine();
            sb.AppendLine("| Model | " + string.Join(" | ", batches.Select(b => $"batch {b}")) + " | Paper (vs its custom model) |");
            sb.AppendLine("|---|" + string.Concat(batches.Select(_ => "---:|")) + "---|");
            foreach (var model in measured.Select(r => r.Model).Distinct())
            {
                var cells = batches.Select(b => measured.FirstOrDefault(r => r.Model == model && r.Batch == b)?.SpeedupVsCustom is { } s ? $"{s:F2}x" : "–");
                var paper = Table4.TryGetValue(PaperKey(model), out var t)
                    ? string.Join(" / ", PaperBatches.Select((b, i) => (b, t[i] / Table4["paper"][i])).Where(x => batches.Contains(x.b == 700 ? 715 : x.b)).Select(x => $"{x.Item2:F2}x"))
                    : "–";
                sb.AppendLine($"| {model} | {string.Join(" | ", cells)} | {paper} |");
            }
            sb.AppendLine();
        }
        return sb.ToString();
    }

    private static string PaperKey(string model) => model is "paper-gray" ? "paper" : model;

    private static (long Total, long Trainable, long NonTrainable, double SizeMb)? PaperRow(string model) =>
        model == "paper" && Table1.TryGetValue(model, out var p) ? p
        : model is "mobilenetv2" or "nasnetmobile" or "resnet50" && Table1.TryGetValue(model, out var q) ? q
        : null;
}
