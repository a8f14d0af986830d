using System.Globalization;
using System.Net;
using System.Text;
using CastingDefects.ML.IO;
using SkiaSharp;

namespace CastingDefects.ML.Evaluation.Reports;

/// <summary>
/// What a quality engineer reads after training or evaluating: metrics with the counts behind them (per class,
/// macro and weighted), confusion matrix, ROC and precision-recall curves, the score histogram per class, training
/// curves, comparisons (e.g. the augmented test set) and a gallery of the misclassified images with their scores.
/// <see cref="Write"/> produces <c>report.html</c> (self-contained: images embedded), the same charts as PNG files and
/// <c>report.md</c>.
/// </summary>
public sealed class EvaluationReport
{
    private EvaluationReport(string title, ClassificationReport metrics, IReadOnlyList<ScoredImage> images, float threshold, BinaryMetrics? binary)
    {
        Title = title;
        Metrics = metrics;
        Images = images;
        Threshold = threshold;
        Binary = binary;
        if (binary is not null)
        {
            var labels = images.Select(i => i.Actual == 1).ToArray();
            var probabilities = images.Select(i => i.Probability).ToArray();
            if (labels.Any(l => l) && labels.Any(l => !l))
            {
                Roc = Curves.Roc(labels, probabilities);
                PrecisionRecall = Curves.PrecisionRecall(labels, probabilities);
            }
        }
    }

    /// <summary>Report title (model and data).</summary>
    public string Title { get; }

    /// <summary>Per-class, macro and weighted metrics and the confusion matrix.</summary>
    public ClassificationReport Metrics { get; }

    /// <summary>Binary metrics (defect positive) when the model is binary.</summary>
    public BinaryMetrics? Binary { get; }

    /// <summary>Every evaluated image with its scores.</summary>
    public IReadOnlyList<ScoredImage> Images { get; }

    /// <summary>The decision threshold (binary).</summary>
    public float Threshold { get; }

    /// <summary>ROC curve (binary, both classes present).</summary>
    public IReadOnlyList<CurvePoint>? Roc { get; }

    /// <summary>Precision-recall curve (binary, both classes present).</summary>
    public IReadOnlyList<CurvePoint>? PrecisionRecall { get; }

    /// <summary>Training history to plot, when known.</summary>
    public IReadOnlyList<TrainingCurve> Training { get; set; } = [];

    /// <summary>Other evaluations shown side by side.</summary>
    public IReadOnlyList<ReportComparison> Comparisons { get; set; } = [];

    /// <summary>Free-form lines shown under the title (data folder, model file, how it was trained).</summary>
    public IReadOnlyList<string> Notes { get; set; } = [];

    /// <summary>The report of a binary model: class 0 good, class 1 defect.</summary>
    public static EvaluationReport ForBinary(string title, IReadOnlyList<string> paths, IReadOnlyList<bool> labels, IReadOnlyList<float> probabilities,
        float threshold, string goodClass = "ok", string defectClass = "defect")
    {
        ArgumentNullException.ThrowIfNull(paths);
        var binary = BinaryMetrics.Compute(labels, probabilities, threshold);
        if (paths.Count != labels.Count) throw new ArgumentException($"{paths.Count} paths but {labels.Count} labels.", nameof(paths));
        var images = paths.Select((p, i) => new ScoredImage(p, labels[i] ? 1 : 0, probabilities[i] >= threshold ? 1 : 0, probabilities[i])).ToList();
        return new EvaluationReport(title, ClassificationReport.FromBinary(binary, goodClass, defectClass), images, threshold, binary);
    }

    /// <summary>The report of a multiclass model; <paramref name="confidence"/> is the probability of the predicted class.</summary>
    public static EvaluationReport ForMulticlass(string title, IReadOnlyList<string> paths, IReadOnlyList<int> actual, IReadOnlyList<int> predicted,
        IReadOnlyList<float> confidence, IReadOnlyList<string> classes)
    {
        var metrics = ClassificationReport.Compute(actual, predicted, classes);
        var images = paths.Select((p, i) => new ScoredImage(p, actual[i], predicted[i], confidence[i])).ToList();
        return new EvaluationReport(title, metrics, images, float.NaN, null);
    }

    /// <summary>
    /// Renders an image's heatmap overlay as PNG (for example <see cref="Inference.HeatmapOverlay.RenderPng"/> of
    /// <see cref="Inference.OcclusionHeatmap.Compute(Inference.CastingOnnxModel, string, int?, int?)"/>, which gives an
    /// anomaly detector's own map), or null when it cannot. When set, the gallery of misclassified images shows overlays,
    /// and a sample of correctly classified defects is shown with them too.
    /// </summary>
    public Func<string, byte[]?>? Overlay { get; set; }

    /// <summary>Correctly classified images shown with their overlays when <see cref="Overlay"/> is set (the most confident defects).</summary>
    public int CorrectSample { get; set; } = 8;

    /// <summary>Writes report.html, report.md and the PNG charts into <paramref name="folder"/>; returns the HTML path.</summary>
    public string Write(string folder, int galleryLimit = 48)
    {
        ArgumentNullException.ThrowIfNull(folder);
        string full = Path.GetFullPath(folder);
        Directory.CreateDirectory(full);
        var charts = new List<(string File, string Caption, byte[] Png)>();
        if (Training.Count > 0)
        {
            charts.Add(("training_loss.png", "Training and validation loss per epoch", ReportCharts.Png(ReportCharts.TrainingLoss(Training))));
            charts.Add(("training_accuracy.png", "Training and validation accuracy per epoch", ReportCharts.Png(ReportCharts.TrainingAccuracy(Training))));
            charts.Add(("learning_rate.png", "Learning rate per epoch", ReportCharts.Png(ReportCharts.LearningRate(Training))));
        }
        charts.Add(("confusion_matrix.png", "Confusion matrix", ReportCharts.Png(ReportCharts.ConfusionMatrix(Metrics), 560, 460)));
        if (Roc is not null) charts.Add(("roc.png", "ROC curve", ReportCharts.Png(ReportCharts.Roc(Roc, Curves.Area(Roc)))));
        if (PrecisionRecall is not null)
            charts.Add(("precision_recall.png", "Precision-recall curve", ReportCharts.Png(ReportCharts.PrecisionRecall(PrecisionRecall, Curves.AveragePrecision(PrecisionRecall)))));
        if (Binary is not null) charts.Add(("score_histogram.png", "Defect probability by actual class", ReportCharts.Png(ReportCharts.Histogram(Images, Metrics.Classes, Threshold))));
        foreach (var (file, _, png) in charts) AtomicFile.Write(Path.Combine(full, file), s => s.Write(png));

        var errors = Images.Where(i => i.IsError).OrderByDescending(i => Binary is null ? i.Probability : Math.Abs(i.Probability - Threshold)).ToList();
        var gallery = new List<(ScoredImage Image, byte[]? Thumbnail)>();
        string galleryFolder = Path.Combine(full, "gallery");
        foreach (var (image, index) in errors.Take(galleryLimit).Select((e, i) => (e, i)))
            gallery.Add((image, GalleryImage(image, galleryFolder, $"{index:D3}_")));
        var correct = new List<(ScoredImage Image, byte[]? Thumbnail)>();
        if (Overlay is not null)
            foreach (var (image, index) in Images.Where(i => !i.IsError && (Binary is null || i.Predicted == 1)).OrderByDescending(i => i.Probability)
                         .Take(CorrectSample).Select((e, i) => (e, i)))
                correct.Add((image, GalleryImage(image, galleryFolder, $"correct_{index:D3}_")));

        string html = Html(charts, gallery, errors.Count, correct);
        string htmlPath = Path.Combine(full, "report.html");
        AtomicFile.Write(htmlPath, s => s.Write(Encoding.UTF8.GetBytes(html)));
        AtomicFile.Write(Path.Combine(full, "report.md"), s => s.Write(Encoding.UTF8.GetBytes(Markdown(charts, errors))));
        return htmlPath;
    }

    /// <summary>The image (or its overlay) as a 160 px thumbnail, also written into the gallery folder at full size.</summary>
    private byte[]? GalleryImage(ScoredImage image, string galleryFolder, string prefix)
    {
        byte[]? overlay = null;
        if (Overlay is not null)
        {
            try { overlay = Overlay(image.Path); }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException) { overlay = null; }
        }
        byte[]? thumbnail = overlay is not null ? Thumbnail(() => SKBitmap.Decode(overlay), 160) : Thumbnail(() => SKBitmap.Decode(image.Path), 160);
        if (thumbnail is not null)
        {
            Directory.CreateDirectory(galleryFolder);
            byte[] file = overlay ?? thumbnail;
            AtomicFile.Write(Path.Combine(galleryFolder, $"{prefix}{Path.GetFileNameWithoutExtension(image.Path)}{(overlay is null ? "" : ".heatmap")}.png"), s => s.Write(file));
        }
        return thumbnail;
    }

    private static byte[]? Thumbnail(Func<SKBitmap?> decode, int size)
    {
        try
        {
            using var bitmap = decode();
            if (bitmap is null) return null;
            float scale = Math.Min((float)size / bitmap.Width, (float)size / bitmap.Height);
            using var resized = bitmap.Resize(new SKImageInfo(Math.Max(1, (int)(bitmap.Width * scale)), Math.Max(1, (int)(bitmap.Height * scale))), SKFilterQuality.Medium);
            using var image = SKImage.FromBitmap(resized);
            using var data = image.Encode(SKEncodedImageFormat.Png, 90);
            return data.ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    private string Html(List<(string File, string Caption, byte[] Png)> charts, List<(ScoredImage Image, byte[]? Thumbnail)> gallery, int errorCount,
        List<(ScoredImage Image, byte[]? Thumbnail)> correct)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        string E(string s) => WebUtility.HtmlEncode(s);
        sb.AppendLine("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.AppendLine(ci, $"<title>{E(Title)}</title>");
        sb.AppendLine("<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}table{border-collapse:collapse;margin:8px 0 20px}" +
            "td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}th:first-child,td:first-child{text-align:left}" +
            ".charts{display:flex;flex-wrap:wrap;gap:16px}.charts figure{margin:0}.gallery{display:flex;flex-wrap:wrap;gap:12px}" +
            ".gallery figure{margin:0;width:170px;font-size:12px;word-break:break-all}.bad{color:#b00}</style></head>");
        sb.AppendLine("<body>");
        sb.AppendLine(ci, $"<h1>{E(Title)}</h1>");
        foreach (var note in Notes) sb.AppendLine(ci, $"<p>{E(note)}</p>");
        sb.AppendLine(ci, $"<p>{Metrics.Count:N0} images; accuracy <b>{Metrics.Accuracy:P2}</b>{(Binary is null ? "" : $"; threshold {Threshold:G4}; ROC AUC {Binary.RocAuc:F4}; log loss {Binary.LogLoss:F4}")}; {errorCount} misclassified.</p>");
        sb.AppendLine("<h2>Metrics</h2>");
        sb.AppendLine(MetricsTable(Metrics, E));
        sb.AppendLine("<h2>Confusion matrix</h2><table><tr><th>actual \\ predicted</th>" + string.Concat(Metrics.Classes.Select(c => $"<th>{E(c)}</th>")) + "</tr>");
        for (int a = 0; a < Metrics.Classes.Count; a++)
            sb.AppendLine($"<tr><td>{E(Metrics.Classes[a])}</td>" + string.Concat(Metrics.ConfusionMatrix[a].Select((v, p) => p == a ? $"<td>{v}</td>" : $"<td class=\"bad\">{v}</td>")) + "</tr>");
        sb.AppendLine("</table>");
        if (Comparisons.Count > 0)
        {
            sb.AppendLine("<h2>Side by side</h2><table><tr><th>Evaluation</th><th>images</th><th>accuracy</th><th>weighted precision</th><th>weighted recall</th><th>weighted F1</th></tr>");
            foreach (var c in Comparisons.Prepend(new ReportComparison("this evaluation", Metrics)))
                sb.AppendLine(ci, $"<tr><td>{E(c.Name)}</td><td>{c.Report.Count}</td><td>{c.Report.Accuracy:P2}</td><td>{c.Report.WeightedAverage.Precision:P2}</td><td>{c.Report.WeightedAverage.Recall:P2}</td><td>{c.Report.WeightedAverage.F1:P2}</td></tr>");
            sb.AppendLine("</table>");
        }
        sb.AppendLine("<h2>Charts</h2><div class=\"charts\">");
        foreach (var (file, caption, png) in charts)
            sb.AppendLine($"<figure><img src=\"data:image/png;base64,{Convert.ToBase64String(png)}\" alt=\"{E(caption)}\" data-file=\"{file}\"><figcaption>{E(caption)}</figcaption></figure>");
        sb.AppendLine("</div>");
        string overlays = Overlay is null ? "" : " with heatmap overlays (where the model sees the defect)";
        sb.AppendLine(ci, $"<h2>Misclassified images ({errorCount}{(errorCount > gallery.Count ? $", the {gallery.Count} most confident shown" : "")}){overlays}</h2><div class=\"gallery\">");
        Gallery(gallery);
        sb.AppendLine("</div>");
        if (correct.Count > 0)
        {
            sb.AppendLine(ci, $"<h2>Correctly found defects (the {correct.Count} most confident){overlays}</h2><div class=\"gallery\">");
            Gallery(correct);
            sb.AppendLine("</div>");
        }
        void Gallery(List<(ScoredImage Image, byte[]? Thumbnail)> images)
        {
            foreach (var (image, thumbnail) in images)
            {
                string label = $"actual {Metrics.Classes[image.Actual]}, predicted {Metrics.Classes[image.Predicted]}, p = {image.Probability.ToString("F3", ci)}";
                string img = thumbnail is null ? "<div>(unreadable)</div>" : $"<img src=\"data:image/png;base64,{Convert.ToBase64String(thumbnail)}\" alt=\"{E(label)}\" class=\"thumb\">";
                sb.AppendLine($"<figure>{img}<figcaption><b>{E(label)}</b><br>{E(Path.GetFileName(image.Path))}</figcaption></figure>");
            }
        }
        // Records the rendered size of every image for automated checks (a headless browser's --dump-dom shows it).
        sb.AppendLine("<script>window.addEventListener('load',function(){document.body.setAttribute('data-rendered-images',JSON.stringify(" +
            "Array.prototype.map.call(document.images,function(i){var r=i.getBoundingClientRect();return [i.alt,i.naturalWidth,Math.round(r.width),Math.round(r.height)];})));});</script>");
        sb.AppendLine("</body></html>");
        return sb.ToString();
    }

    private static string MetricsTable(ClassificationReport m, Func<string, string> e)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th><th>correct</th><th>predicted</th></tr>");
        foreach (var c in m.PerClass)
            sb.Append(ci, $"<tr><td>{e(c.Name)}</td><td>{c.Precision:P2}</td><td>{c.Recall:P2}</td><td>{c.F1:P2}</td><td>{c.Support}</td><td>{c.TruePositives}</td><td>{c.Predicted}</td></tr>");
        foreach (var c in new[] { m.MacroAverage, m.WeightedAverage })
            sb.Append(ci, $"<tr><td>{e(c.Name)}</td><td>{c.Precision:P2}</td><td>{c.Recall:P2}</td><td>{c.F1:P2}</td><td>{c.Support}</td><td></td><td></td></tr>");
        sb.Append("</table>");
        return sb.ToString();
    }

    private string Markdown(List<(string File, string Caption, byte[] Png)> charts, List<ScoredImage> errors)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(ci, $"# {Title}");
        sb.AppendLine();
        foreach (var note in Notes) sb.AppendLine(note).AppendLine();
        sb.AppendLine(ci, $"{Metrics.Count:N0} images; accuracy **{Metrics.Accuracy:P2}**{(Binary is null ? "" : $"; threshold {Threshold:G4}; ROC AUC {Binary.RocAuc:F4}; log loss {Binary.LogLoss:F4}")}; {errors.Count} misclassified.");
        sb.AppendLine();
        sb.AppendLine("| class | precision | recall | F1 | support |");
        sb.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var c in Metrics.PerClass.Append(Metrics.MacroAverage).Append(Metrics.WeightedAverage))
            sb.AppendLine(ci, $"| {c.Name} | {c.Precision:P2} | {c.Recall:P2} | {c.F1:P2} | {c.Support} |");
        sb.AppendLine();
        sb.AppendLine("Confusion matrix (rows actual, columns predicted): " + string.Join("; ", Metrics.Classes.Select((c, a) => $"{c}: [{string.Join(", ", Metrics.ConfusionMatrix[a])}]")));
        sb.AppendLine();
        if (Comparisons.Count > 0)
        {
            sb.AppendLine("| evaluation | images | accuracy | weighted precision | weighted recall | weighted F1 |");
            sb.AppendLine("|---|---:|---:|---:|---:|---:|");
            foreach (var c in Comparisons.Prepend(new ReportComparison("this evaluation", Metrics)))
                sb.AppendLine(ci, $"| {c.Name} | {c.Report.Count} | {c.Report.Accuracy:P2} | {c.Report.WeightedAverage.Precision:P2} | {c.Report.WeightedAverage.Recall:P2} | {c.Report.WeightedAverage.F1:P2} |");
            sb.AppendLine();
        }
        foreach (var (file, caption, _) in charts) sb.AppendLine($"![{caption}]({file})");
        sb.AppendLine();
        if (errors.Count > 0)
        {
            sb.AppendLine("Misclassified: " + string.Join(", ", errors.Take(20).Select(e => $"{Path.GetFileName(e.Path)} (p = {e.Probability.ToString("F3", ci)})")) + (errors.Count > 20 ? ", …" : ""));
        }
        return sb.ToString();
    }
}
