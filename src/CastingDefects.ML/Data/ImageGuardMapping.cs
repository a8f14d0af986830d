using Microsoft.ML.Transforms;

namespace CastingDefects.ML.Data;

/// <summary>The image path column that <see cref="ImageGuardMappingFactory"/> checks.</summary>
public sealed class ImagePathColumn
{
    /// <summary>Path of the image file.</summary>
    public string ImagePath { get; set; } = "";
}

/// <summary>
/// Saveable ML.NET mapping that passes the <c>ImagePath</c> column through after <see cref="ImageGuard.Check"/>, so
/// ML.NET's own image loader (which decodes whatever a header claims) never sees a decompression bomb. It is part of
/// <c>LoadCastingImages</c> and is put in front of every model <c>LoadCastingModel</c> loads.
/// </summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class ImageGuardMappingFactory : CustomMappingFactory<ImagePathColumn, ImagePathColumn>
{
    /// <summary>Contract name stored in saved models.</summary>
    public const string ContractName = "CastingDefects.ML.ImageHeaderGuard";

    /// <summary>
    /// Before an image of at least this many pixels is decoded, the decoded images of earlier rows are collected. ML.NET's
    /// image values hold native (Skia) memory that the garbage collector does not see, so it is not in a hurry: 30 PNGs
    /// of 64 megapixels took <c>train</c> to 2.7 GB, growing with their number; with this, 1.5 GB. A full collection
    /// costs milliseconds; decoding such an image, a second.
    /// </summary>
    private const long LargeImagePixels = 4L << 20;

    /// <summary>The mapping: a file that exists is checked; a missing one is left to the image loader's own error.</summary>
    public static void Map(ImagePathColumn input, ImagePathColumn output)
    {
        string path = input.ImagePath ?? "";
        if (File.Exists(path))
        {
            if (ImageGuard.Check(path) >= LargeImagePixels)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }
        output.ImagePath = path;
    }

    /// <inheritdoc />
    public override Action<ImagePathColumn, ImagePathColumn> GetMapping() => Map;
}
