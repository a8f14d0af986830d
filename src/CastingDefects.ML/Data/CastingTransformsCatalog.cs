using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace CastingDefects.ML.Data;

/// <summary>Extension methods on <see cref="TransformsCatalog"/> that turn image paths into network input.</summary>
public static class CastingTransformsCatalog
{
    /// <summary>
    /// Load → resize (high-quality filtering, aspect ratio kept, padded) → (grayscale, one plane) → pixels scaled by
    /// 1/255 in planar (C, H, W) order, built from ML.NET's own image transforms, so the chain saves with
    /// <c>mlContext.Model.Save</c> and loads with the core package.
    /// </summary>
    public static IEstimator<ITransformer> LoadCastingImages(this TransformsCatalog catalog, CastingImageOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        const string image = "__CastingImage";
        // Headers are checked before ML.NET's loader decodes them (decompression bombs); the guard reads the default
        // ImagePath column, relative paths against the current folder.
        IEstimator<ITransformer> guard = options.InputColumnName == nameof(ImagePathColumn.ImagePath) && options.ImageFolder is null
            ? catalog.CustomMapping(new ImageGuardMappingFactory().GetMapping(), ImageGuardMappingFactory.ContractName)
            : new EstimatorChain<ITransformer>();
        var chain = guard.Append(catalog.LoadImages(image, options.ImageFolder, options.InputColumnName))
            // IsoPad, not Fill: ML.NET's Fill resizes nearest-neighbour (SKFilterQuality.None), which at 300 -> 150
            // keeps one pixel in four and can erase a one-pixel crack; IsoPad draws with high-quality filtering and, for
            // square images into a square size, covers the whole output exactly like Fill.
            .Append(catalog.ResizeImages(image, options.Width, options.Height, image, ImageResizingEstimator.ResizingKind.IsoPad));
        // ConvertToGrayscale keeps four channels (gray in R, G and B); extracting Red alone gives one gray plane.
        var pixels = options.Grayscale
            ? catalog.ConvertToGrayscale(image, image)
                .Append(catalog.ExtractPixels(options.OutputColumnName, image, ImagePixelExtractingEstimator.ColorBits.Red,
                    interleavePixelColors: false, scaleImage: 1f / 255))
            : (IEstimator<ITransformer>)catalog.ExtractPixels(options.OutputColumnName, image, ImagePixelExtractingEstimator.ColorBits.Rgb,
                ImagePixelExtractingEstimator.ColorsOrder.ARGB, interleavePixelColors: false, scaleImage: 1f / 255);
        return chain.Append(pixels).Append(catalog.DropColumns(image));
    }

    /// <summary>Square images of <paramref name="imageSize"/> pixels; see <see cref="LoadCastingImages(TransformsCatalog, CastingImageOptions)"/>.</summary>
    public static IEstimator<ITransformer> LoadCastingImages(this TransformsCatalog catalog, int imageSize = 300, bool grayscale = true,
        string inputColumnName = "ImagePath", string outputColumnName = "Features") =>
        catalog.LoadCastingImages(new CastingImageOptions
        {
            Width = imageSize, Height = imageSize, Grayscale = grayscale,
            InputColumnName = inputColumnName, OutputColumnName = outputColumnName,
        });
}
