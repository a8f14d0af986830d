namespace CastingDefects.ML.Serving.Hosting;

/// <summary>Options of <see cref="CastingModelPredictor"/> (and of <c>services.AddCastingModel</c>).</summary>
public sealed class CastingModelOptions
{
    /// <summary>The model file: a .zip written by <c>train</c> / <c>mlContext.Model.Save</c>, or an exported .onnx.</summary>
    public string ModelPath { get; set; } = "";

    /// <summary>
    /// Reload the model when its file is replaced (default true). Replace it atomically (write beside it, then rename
    /// over it, as <c>evaluate --save-model</c> and <c>train</c> do); a file that does not load or fails the self-test
    /// is refused and the previous model keeps serving.
    /// </summary>
    public bool ReloadOnChange { get; set; } = true;

    /// <summary>How often the file is checked for a change besides the file system's notifications (default 2 s).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// ONNX Runtime threads per prediction (default 1: concurrent requests are spread over the cores, which serves
    /// more images per second than splitting each image across them).
    /// </summary>
    public int IntraOpThreads { get; set; } = 1;
}
