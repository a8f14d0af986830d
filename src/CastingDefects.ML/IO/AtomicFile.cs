namespace CastingDefects.ML.IO;

/// <summary>Writes files so that a crash or kill mid-write never leaves a partial file under the final name.</summary>
public static class AtomicFile
{
    /// <summary>Writes through <paramref name="write"/> to a temporary file beside <paramref name="path"/>, flushes it to disk, then renames it over <paramref name="path"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        RemoveStaleTemporaries(full);
        string temp = full + "." + Environment.ProcessId + ".tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Writes several files that belong together (a model, its ONNX network, its history): every temporary file is
    /// written and flushed first, then all are renamed, so an interruption while writing leaves every old file as it
    /// was, and the window in which some are new and some old is that of a few renames.
    /// </summary>
    public static void WriteAll(IReadOnlyList<(string Path, Action<Stream> Write)> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var temps = new List<(string Temp, string Full)>();
        try
        {
            foreach (var (path, write) in files)
            {
                string full = Path.GetFullPath(path);
                string? dir = Path.GetDirectoryName(full);
                if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
                RemoveStaleTemporaries(full);
                string temp = full + "." + Environment.ProcessId + ".tmp";
                temps.Add((temp, full));
                using var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None);
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            foreach (var (temp, full) in temps) File.Move(temp, full, overwrite: true);
        }
        finally
        {
            foreach (var (temp, _) in temps)
                if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Deletes temporary files (<c>name.PID.tmp</c>) that writers of <paramref name="full"/> left when they were killed:
    /// those whose process no longer runs.
    /// </summary>
    private static void RemoveStaleTemporaries(string full)
    {
        string? dir = Path.GetDirectoryName(full);
        if (string.IsNullOrEmpty(dir)) return;
        string prefix = Path.GetFileName(full) + ".";
        foreach (var temp in Directory.EnumerateFiles(dir, prefix + "*.tmp"))
        {
            string middle = Path.GetFileName(temp)[prefix.Length..^4];
            if (!int.TryParse(middle, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid) || IsRunning(pid)) continue;
            try { File.Delete(temp); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // another cleaner got there first
        }
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
