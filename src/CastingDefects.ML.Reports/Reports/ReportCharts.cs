using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace CastingDefects.ML.Evaluation.Reports;

/// <summary>The report's charts, drawn with OxyPlot and rendered to PNG by its SkiaSharp 2.88 exporter (no display needed).</summary>
internal static class ReportCharts
{
    private static readonly OxyColor Defect = OxyColor.FromRgb(0xC0, 0x39, 0x2B), Good = OxyColor.FromRgb(0x27, 0x80, 0x4B), Accent = OxyColor.FromRgb(0x1F, 0x5F, 0xAF);

    public static byte[] Png(PlotModel model, int width = 640, int height = 420)
    {
        model.Background = OxyColors.White;
        using var stream = new MemoryStream();
        new OxyPlot.SkiaSharp.PngExporter { Width = width, Height = height }.Export(model, stream);
        return stream.ToArray();
    }

    public static PlotModel Roc(IReadOnlyList<CurvePoint> roc, double auc)
    {
        var model = Base($"ROC curve (AUC {auc:F4})", "False positive rate (good castings rejected)", "True positive rate (defects caught)", 0, 1, 0, 1);
        var chance = new LineSeries { Color = OxyColors.Gray, LineStyle = LineStyle.Dash, Title = "chance" };
        chance.Points.Add(new DataPoint(0, 0));
        chance.Points.Add(new DataPoint(1, 1));
        var line = new LineSeries { Color = Accent, StrokeThickness = 2, Title = "model" };
        line.Points.AddRange(roc.Select(p => new DataPoint(p.X, p.Y)));
        model.Series.Add(chance);
        model.Series.Add(line);
        return model;
    }

    public static PlotModel PrecisionRecall(IReadOnlyList<CurvePoint> pr, double averagePrecision)
    {
        var model = Base($"Precision-recall curve (AP {averagePrecision:F4})", "Recall (defects caught)", "Precision (rejections that are defects)", 0, 1, 0, 1.02);
        var line = new LineSeries { Color = Accent, StrokeThickness = 2, Title = "model" };
        line.Points.Add(new DataPoint(0, 1));
        line.Points.AddRange(pr.Select(p => new DataPoint(p.X, p.Y)));
        model.Series.Add(line);
        return model;
    }

    public static PlotModel ConfusionMatrix(ClassificationReport report)
    {
        int k = report.Classes.Count;
        var model = new PlotModel { Title = "Confusion matrix (rows: actual, columns: predicted)" };
        model.Axes.Add(new LinearColorAxis { Position = AxisPosition.Right, Palette = OxyPalette.Interpolate(200, OxyColors.White, OxyColor.FromRgb(0x1F, 0x5F, 0xAF)), Minimum = 0 });
        model.Axes.Add(new CategoryAxis { Position = AxisPosition.Bottom, Key = "x", ItemsSource = report.Classes, Title = "Predicted" });
        model.Axes.Add(new CategoryAxis { Position = AxisPosition.Left, Key = "y", ItemsSource = report.Classes, StartPosition = 1, EndPosition = 0, Title = "Actual" });
        var data = new double[k, k];
        for (int a = 0; a < k; a++)
            for (int p = 0; p < k; p++) data[p, a] = report.ConfusionMatrix[a][p];
        model.Series.Add(new HeatMapSeries
        {
            X0 = 0, X1 = k - 1, Y0 = 0, Y1 = k - 1, Data = data, XAxisKey = "x", YAxisKey = "y",
            RenderMethod = HeatMapRenderMethod.Rectangles, LabelFontSize = 0.25, LabelFormatString = "0",
        });
        return model;
    }

    public static PlotModel Histogram(IReadOnlyList<ScoredImage> images, IReadOnlyList<string> classes, float threshold)
    {
        var model = Base("Defect probability by actual class", "Predicted defect probability", "Images", 0, 1, 0, double.NaN);
        const int bins = 20;
        for (int c = 0; c < classes.Count; c++)
        {
            var counts = new int[bins];
            foreach (var image in images.Where(i => i.Actual == c)) counts[Math.Min(bins - 1, (int)(image.Probability * bins))]++;
            var series = new HistogramSeries { Title = classes[c], FillColor = OxyColor.FromAColor(140, c == classes.Count - 1 ? Defect : Good), StrokeThickness = 0 };
            for (int b = 0; b < bins; b++) series.Items.Add(new HistogramItem((double)b / bins, (double)(b + 1) / bins, counts[b] / (double)bins, counts[b])); // area = count x bin width: bar height = count
            model.Series.Add(series);
        }
        model.Annotations.Add(new OxyPlot.Annotations.LineAnnotation
        {
            Type = OxyPlot.Annotations.LineAnnotationType.Vertical, X = threshold, Color = OxyColors.Black, LineStyle = LineStyle.Dash, Text = $"threshold {threshold:G3}",
        });
        model.Axes[1].Minimum = 0;
        return model;
    }

    public static PlotModel TrainingLoss(IReadOnlyList<TrainingCurve> history) =>
        Curves("Loss per epoch", "Loss", history, h => h.Loss, h => h.ValLoss);

    public static PlotModel TrainingAccuracy(IReadOnlyList<TrainingCurve> history) =>
        Curves("Accuracy per epoch", "Accuracy", history, h => h.Accuracy, h => h.ValAccuracy);

    public static PlotModel LearningRate(IReadOnlyList<TrainingCurve> history)
    {
        var model = new PlotModel { Title = "Learning rate per epoch" };
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "Epoch", Minimum = 1, MajorGridlineStyle = LineStyle.Dot });
        model.Axes.Add(new LogarithmicAxis { Position = AxisPosition.Left, Title = "Learning rate", MajorGridlineStyle = LineStyle.Dot });
        var line = new LineSeries { Color = Accent, StrokeThickness = 2, MarkerType = MarkerType.Circle, MarkerSize = 2 };
        line.Points.AddRange(history.Select(h => new DataPoint(h.Epoch, h.LearningRate)));
        model.Series.Add(line);
        return model;
    }

    private static PlotModel Curves(string title, string axis, IReadOnlyList<TrainingCurve> history, Func<TrainingCurve, double> train, Func<TrainingCurve, double> validation)
    {
        var model = Base(title, "Epoch", axis, 1, double.NaN, double.NaN, double.NaN);
        var t = new LineSeries { Title = "training", Color = Accent, StrokeThickness = 2, MarkerType = MarkerType.Circle, MarkerSize = 2 };
        t.Points.AddRange(history.Select(h => new DataPoint(h.Epoch, train(h))));
        model.Series.Add(t);
        if (history.Any(h => !double.IsNaN(validation(h))))
        {
            var v = new LineSeries { Title = "validation", Color = Defect, StrokeThickness = 2, MarkerType = MarkerType.Square, MarkerSize = 2 };
            v.Points.AddRange(history.Where(h => !double.IsNaN(validation(h))).Select(h => new DataPoint(h.Epoch, validation(h))));
            model.Series.Add(v);
        }
        return model;
    }

    private static PlotModel Base(string title, string x, string y, double xMin, double xMax, double yMin, double yMax)
    {
        var model = new PlotModel { Title = title };
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.RightBottom, LegendBackground = OxyColor.FromAColor(220, OxyColors.White) });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = x, Minimum = xMin, Maximum = xMax, MajorGridlineStyle = LineStyle.Dot });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = y, Minimum = yMin, Maximum = yMax, MajorGridlineStyle = LineStyle.Dot });
        return model;
    }
}
