namespace CastingDefects.ML.IO;

/// <summary>Checks a file the library is about to read whole (a model, a weights file) before opening it.</summary>
public static class InputFile
{
    /// <summary>
    /// The full path of <paramref name="path"/> when it is an existing, non-empty file. A missing file throws
    /// <see cref="FileNotFoundException"/>; a folder, an empty file or something that only looks like a file (a named
    /// pipe or a device reports no size, and reading it would block forever) throws <see cref="InvalidDataException"/>;
    /// each message names the file and says what <paramref name="what"/> was expected.
    /// </summary>
    public static string Require(string path, string what = "Model file")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new InvalidDataException($"{what} '{full}' is a folder, not a file.");
        var info = new FileInfo(full);
        if (!info.Exists) throw new FileNotFoundException($"{what} '{full}' does not exist.", full);
        if (info.Length == 0)
            throw new InvalidDataException($"{what} '{full}' is empty or not a regular file (a pipe or a device); expected a file written by CastingDefects.ML.");
        return full;
    }
}
