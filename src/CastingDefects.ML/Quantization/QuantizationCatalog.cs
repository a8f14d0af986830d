using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using CastingDefects.ML.IO;
using Microsoft.ML;

namespace CastingDefects.ML.Quantization;

/// <summary>
/// int8 quantization of saved models in ML.NET's style, with the core package only (no libtorch):
/// <c>mlContext.Model.QuantizeCastingModel("casting.zip", calibrationImages, "casting-int8.zip")</c>. The written model
/// loads and predicts like any other (<c>LoadCastingModel</c>, <see cref="CastingOnnxModel"/>, the service).
/// </summary>
public static class QuantizationCatalog
{
    /// <summary>
    /// Quantizes the network of <paramref name="modelPath"/> (.zip or .onnx) to int8 (<see cref="OnnxQuantizer"/>),
    /// calibrated on the first <see cref="CastingQuantizationOptions.CalibrationImages"/> of
    /// <paramref name="calibrationImages"/> (image files, preprocessed as the model takes them), and writes the model
    /// to <paramref name="outputPath"/> (atomically; a .zip keeps the source's input columns). Returns the int8 ONNX
    /// network. An unreadable image fails with a message naming it.
    /// </summary>
    public static byte[] QuantizeCastingModel(this ModelOperationsCatalog catalog, string modelPath, IEnumerable<string> calibrationImages, string outputPath,
        CastingQuantizationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(calibrationImages);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        options ??= new CastingQuantizationOptions();
        if (options.CalibrationImages < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.CalibrationImages, "CalibrationImages must be at least 1.");
        string full = InputFile.Require(modelPath);
        byte[] onnx = SavedModelNetwork.Read(full);
        CastingImageOptions image;
        using (var model = new CastingOnnxModel(onnx, intraOpThreads: 1, source: $"Model file '{full}'")) image = model.Image;
        byte[] int8 = OnnxQuantizer.Quantize(onnx, calibrationImages.Take(options.CalibrationImages).Select(path => CastingImagePreprocessor.Load(path, image)), options);
        SavedModelNetwork.Replace(full, int8, outputPath);
        return int8;
    }

    /// <summary>
    /// Quantizes with a stratified sample (by class, <see cref="CastingQuantizationOptions.Seed"/>) of
    /// <see cref="CastingQuantizationOptions.CalibrationImages"/> images of <paramref name="calibration"/>; see
    /// <see cref="QuantizeCastingModel(ModelOperationsCatalog, string, IEnumerable{string}, string, CastingQuantizationOptions?)"/>.
    /// </summary>
    public static byte[] QuantizeCastingModel(this ModelOperationsCatalog catalog, string modelPath, ImageFolderDataset calibration, string outputPath,
        CastingQuantizationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        options ??= new CastingQuantizationOptions();
        return catalog.QuantizeCastingModel(modelPath, CalibrationSample(calibration, options).Images.Select(i => i.Path), outputPath, options);
    }

    /// <summary>The images that calibrate: all of <paramref name="dataset"/>, or a stratified sample of <see cref="CastingQuantizationOptions.CalibrationImages"/>.</summary>
    public static ImageFolderDataset CalibrationSample(ImageFolderDataset dataset, CastingQuantizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        if (dataset.Images.Count == 0) throw new ArgumentException($"'{dataset.Root}' holds no images to calibrate on.", nameof(dataset));
        if (dataset.Images.Count <= options.CalibrationImages) return dataset;
        return dataset.StratifiedSplit((double)options.CalibrationImages / dataset.Images.Count, options.Seed).Validation;
    }
}
