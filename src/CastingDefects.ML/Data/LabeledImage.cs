namespace CastingDefects.ML.Data;

/// <summary>One image of a folder dataset: its path, its class folder, and whether that class is the defect class.</summary>
/// <param name="Path">Full path of the image file.</param>
/// <param name="ClassName">Name of the class folder.</param>
/// <param name="ClassIndex">Index of the class in <see cref="ImageFolderDataset.Classes"/> (sorted by name).</param>
/// <param name="IsDefect">True when the class is the positive (defect) class.</param>
public sealed record LabeledImage(string Path, string ClassName, int ClassIndex, bool IsDefect);

/// <summary>A file that was not used, and why.</summary>
/// <param name="Path">Full path of the file.</param>
/// <param name="Reason">What is wrong with it.</param>
public sealed record SkippedFile(string Path, string Reason);
