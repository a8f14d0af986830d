using CastingDefects.ML.Inference;

namespace CastingDefects.ML.Evaluation.Reports;

/// <summary>
/// Heatmap overlays for an HTML report: the saved binary model's heatmap (its own Grad-CAM or anomaly
/// map; occlusion for a model exported without one) blended on each gallery image with its verdict. Multiclass reports keep plain thumbnails.
/// </summary>
public sealed class ReportOverlays : IDisposable
{
    private readonly CastingOnnxModel? _model;

    private ReportOverlays(CastingOnnxModel? model) => _model = model;

    /// <summary>Sets <see cref="EvaluationReport.Overlay"/> from the model at <paramref name="modelPath"/> (binary models only).</summary>
    public static ReportOverlays Attach(EvaluationReport report, string modelPath, bool multiclass)
    {
        if (multiclass) return new ReportOverlays(null);
        var model = CastingOnnxModel.Load(modelPath, intraOpThreads: 1);
        report.Overlay = file =>
        {
            var map = model.Explain(file);
            return HeatmapOverlay.RenderPng(file, map, map.Probability >= model.Threshold ? "NG" : "OK");
        };
        return new ReportOverlays(model);
    }

    /// <summary>Releases the model the overlays are drawn with.</summary>
    public void Dispose() => _model?.Dispose();
}
