namespace CastingDefects.ML.Inference;

/// <summary>Options of <see cref="FolderWatcher"/>.</summary>
public sealed class FolderWatchOptions
{
    /// <summary>The folder a camera or another program writes images into (its top level is watched).</summary>
    public string Folder { get; set; } = "";

    /// <summary>The results file (CSV: path, label, probability, bytes, modified); default <c>predictions.csv</c> in <see cref="Folder"/>.</summary>
    public string? ResultsPath { get; set; }

    /// <summary>Move each classified image into a subfolder named after its verdict (<c>OK/</c>, <c>NG/</c>, the class, or <c>ERROR/</c>).</summary>
    public bool MoveToVerdictFolders { get; set; }

    /// <summary>
    /// How long a file's size and modification time must stay unchanged before it is read (default 1 s): a camera
    /// writing slowly keeps changing them. A file that then does not decode completely (cut short) is read again later.
    /// </summary>
    public TimeSpan SettleTime { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long an unchanged file may stay undecodable before it is recorded as an error (default 30 s).</summary>
    public TimeSpan IncompleteTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the folder is scanned besides the file system's notifications (default 250 ms).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);
}
