using CastingDefects.ML.Data;
using CastingDefects.ML.IO;
using SkiaSharp;

namespace CastingDefects.ML.Augmentation;

/// <summary>
/// Applies <see cref="ImageAugmentation"/> to image files with SkiaSharp, with the same random draws as training
/// (<see cref="AffineSample"/>): bilinear sampling, points outside the image take the nearest edge pixel (Keras's
/// fill_mode="nearest"). Each file's draw depends only on its path and the seed, so an augmented test set is the same
/// whatever the order or the process (the paper's Table 6 evaluates on such a set).
/// </summary>
public static class ImageAugmenter
{
    /// <summary>A new bitmap: <paramref name="source"/> warped by <paramref name="sample"/>.</summary>
    public static SKBitmap Apply(SKBitmap source, AffineSample sample)
    {
        ArgumentNullException.ThrowIfNull(source);
        float w = source.Width, h = source.Height;
        // Output pixel -> input pixel: centre, normalise to [-1, 1], apply the sample, back to pixels.
        var outputToInput = SKMatrix.CreateTranslation(-w / 2, -h / 2)
            .PostConcat(SKMatrix.CreateScale(2 / w, 2 / h))
            .PostConcat(new SKMatrix { ScaleX = (float)sample.M00, SkewX = (float)sample.M01, SkewY = (float)sample.M10, ScaleY = (float)sample.M11, Persp2 = 1 })
            .PostConcat(SKMatrix.CreateScale(w / 2, h / 2))
            .PostConcat(SKMatrix.CreateTranslation(w / 2, h / 2));
        if (!outputToInput.TryInvert(out var inputToOutput))
            throw new ArgumentException("The augmentation draw is not invertible (zoom of 0?).", nameof(sample));
        var result = new SKBitmap(new SKImageInfo(source.Width, source.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(result);
        using var shader = SKShader.CreateBitmap(source, SKShaderTileMode.Clamp, SKShaderTileMode.Clamp, inputToOutput);
        using var paint = new SKPaint { Shader = shader, FilterQuality = SKFilterQuality.Medium };
        canvas.DrawRect(0, 0, w, h, paint);
        return result;
    }

    /// <summary>The draw used for <paramref name="path"/> with <paramref name="seed"/>.</summary>
    public static AffineSample DrawFor(string path, ImageAugmentation augmentation, int seed) =>
        AffineSample.Draw(augmentation, new Random(StableSeed.Mix(Path.GetFileName(path), seed)));

    /// <summary>Writes an augmented copy of one image as PNG (lossless) and returns its path.</summary>
    public static string WriteAugmented(string path, string outputPath, ImageAugmentation augmentation, int seed)
    {
        using var source = SKBitmap.Decode(path) ?? throw new InvalidDataException($"'{path}' is not a decodable image.");
        using var augmented = Apply(source, DrawFor(path, augmentation, seed));
        using var data = augmented.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.Write(outputPath, stream => data.SaveTo(stream));
        return outputPath;
    }

    /// <summary>
    /// A fixed augmented copy of a dataset, in the same class layout under <paramref name="outputFolder"/>: one
    /// augmented PNG per image, the same for the same seed.
    /// </summary>
    public static ImageFolderDataset WriteAugmentedCopy(this ImageFolderDataset dataset, string outputFolder, ImageAugmentation augmentation, int seed)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var copies = new LabeledImage[dataset.Images.Count];
        Parallel.For(0, dataset.Images.Count, i =>
        {
            var image = dataset.Images[i];
            string target = Path.Combine(outputFolder, image.ClassName, Path.GetFileNameWithoutExtension(image.Path) + ".png");
            copies[i] = image with { Path = WriteAugmented(image.Path, target, augmentation, seed) };
        });
        return dataset.WithImages(copies);
    }
}
