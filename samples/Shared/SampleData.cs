using CastingDefects.ML.Data;
using CastingDefects.ML.Synthetic;

/// <summary>Command-line arguments and data shared by the samples (linked into each one).</summary>
internal static class SampleData
{
    /// <summary>The --data folder, or the built-in synthetic casting dataset (written once into the temporary folder).</summary>
    public static ImageFolderDataset Load(string? data)
    {
        if (data is null)
        {
            data = SyntheticCastingGenerator.BuiltInDataset();
            Console.WriteLine($"   no --data: the built-in synthetic castings in {data}");
        }
        return ImageFolderDataset.Scan(data);
    }

    /// <summary>
    /// Train / validation / test: 20% of each class held out for testing, then 20% of the rest for validation
    /// (stratified, seed 42), as the paper's 5,307 / 1,326 split followed by Keras's validation split.
    /// </summary>
    public static (ImageFolderDataset Fit, ImageFolderDataset Validation, ImageFolderDataset Test) Split(ImageFolderDataset dataset)
    {
        var (trainSet, testSet) = dataset.StratifiedSplit(0.2, seed: 42);
        var (fitSet, valSet) = trainSet.StratifiedSplit(0.2, seed: 42);
        Console.WriteLine($"   train {fitSet.Images.Count}, validation {valSet.Images.Count}, test {testSet.Images.Count}");
        return (fitSet, valSet, testSet);
    }

    /// <summary>The paper's recipe around Fit: keep the best epoch by val_loss, cut the learning rate after 5 flat epochs.</summary>
    public static CastingDefects.ML.Training.Callbacks.Callback[] PaperCallbacks() =>
    [
        new CastingDefects.ML.Training.Callbacks.EarlyStopping(patience: 10, restoreBestWeights: true),
        new CastingDefects.ML.Training.Callbacks.ReduceLROnPlateau(patience: 5),
    ];

    /// <summary>Writes a markdown table to the console and to <paramref name="path"/>.</summary>
    public static void Table(string path, string[] header, IEnumerable<string[]> rows)
    {
        var lines = new List<string> { "| " + string.Join(" | ", header) + " |", "|" + string.Concat(header.Select(_ => "---|")) };
        lines.AddRange(rows.Select(r => "| " + string.Join(" | ", r) + " |"));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllLines(path, lines);
        foreach (var line in lines) Console.WriteLine(line);
        Console.WriteLine($"   written to {Path.GetFullPath(path)}");
    }
}
