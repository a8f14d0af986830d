namespace CastingDefects.Cli;

/// <summary>
/// Checks made on output paths before any work: an output never replaces an input (the model, an image) nor lands in
/// a data folder (where it would later count as data), and its folder is writable now rather than after an epoch.
/// </summary>
internal static class OutputPaths
{
    /// <summary>Refuses <paramref name="output"/> when it is one of <paramref name="inputs"/>.</summary>
    public static void NotAnInput(string? output, string option, IEnumerable<string> inputs)
    {
        if (output is null) return;
        string full = Full(output);
        foreach (var input in inputs)
            if (string.Equals(full, Full(input), StringComparison.Ordinal))
                throw new ArgumentException($"{option} '{full}' is an input of this command; it would be overwritten. Choose another path.");
    }

    /// <summary>Refuses <paramref name="output"/> (a file or folder) when it lies inside the data folder <paramref name="dataFolder"/>.</summary>
    public static void NotInside(string? output, string option, string? dataFolder)
    {
        if (output is null || dataFolder is null) return;
        string full = Full(output), data = Full(dataFolder).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        if (full.StartsWith(data, StringComparison.Ordinal) || full + Path.DirectorySeparatorChar == data)
            throw new ArgumentException($"{option} '{full}' is inside the data folder '{data.TrimEnd(Path.DirectorySeparatorChar)}'; files written there would be read as data. Choose a path outside it.");
    }

    /// <summary>Creates the folder that will hold <paramref name="file"/> and checks that a file can be written there.</summary>
    public static void WritableFile(string? file, string option)
    {
        if (file is null) return;
        string? folder = Path.GetDirectoryName(Full(file));
        if (folder is not null) WritableFolder(folder, option);
        if (Directory.Exists(file)) throw new ArgumentException($"{option} '{Full(file)}' is a folder; give a file path.");
    }

    /// <summary>Creates <paramref name="folder"/> and checks that a file can be written in it.</summary>
    public static void WritableFolder(string? folder, string option)
    {
        if (folder is null) return;
        string full = Full(folder);
        try
        {
            Directory.CreateDirectory(full);
            string probe = Path.Combine(full, $".casting-defects-write-test-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{option}: cannot write in '{full}': {e.Message}", e);
        }
    }

    private static string Full(string path) => Path.GetFullPath(path);
}
