namespace CastingDefects.ML.Data;

/// <summary>How <see cref="ImageFolderDataset.Scan"/> reads a folder of class subfolders.</summary>
public sealed class ImageFolderOptions
{
    /// <summary>
    /// Name of the class folder that counts as positive (defective). When null, the single folder whose name starts
    /// with "def" (case-insensitive) is taken; with two or more such folders, or none, name it here.
    /// </summary>
    public string? PositiveClass { get; set; }

    /// <summary>
    /// When true, the first unreadable or suspicious file fails the load with an <see cref="InvalidDataException"/>
    /// that names it. When false (the default for training), such files are skipped and reported through
    /// <see cref="ImageFolderDataset.Skipped"/> and <see cref="Warning"/>.
    /// </summary>
    public bool Strict { get; set; }

    /// <summary>Decode every image fully to find truncated or corrupt files (default true); false reads headers only.</summary>
    public bool DecodeFully { get; set; } = true;

    /// <summary>Largest accepted width x height, checked from the header before any pixel buffer is allocated.</summary>
    public long MaxPixels { get; set; } = ImageProbe.DefaultMaxPixels;

    /// <summary>Receives one line per skipped file (path and reason). Defaults to standard error.</summary>
    public Action<string>? Warning { get; set; } = message => Console.Error.WriteLine(message);

    /// <summary>Degree of parallelism for validation; defaults to the processor count.</summary>
    public int MaxDegreeOfParallelism { get; set; } = Environment.ProcessorCount;
}
