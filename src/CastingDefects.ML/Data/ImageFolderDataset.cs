using System.Collections.Concurrent;
using Microsoft.ML;

namespace CastingDefects.ML.Data;

/// <summary>
/// A folder with one subfolder per class (the Kaggle casting layout <c>train/def_front</c>, <c>train/ok_front</c>),
/// scanned and validated. Every file is either in <see cref="Images"/> or in <see cref="Skipped"/> with a reason.
/// </summary>
public sealed class ImageFolderDataset
{
    private ImageFolderDataset(string root, IReadOnlyList<string> classes, string? positiveClass,
        IReadOnlyList<LabeledImage> images, IReadOnlyList<SkippedFile> skipped)
    {
        Root = root;
        Classes = classes;
        PositiveClass = positiveClass;
        Images = images;
        Skipped = skipped;
    }

    /// <summary>The folder that was scanned.</summary>
    public string Root { get; }

    /// <summary>Class folder names, sorted ordinally; an image's <see cref="LabeledImage.ClassIndex"/> indexes this list.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>
    /// The class that counts as defective (label true). Null for a multiclass folder (three or more classes) where no
    /// single folder name starts with "def" and none was named.
    /// </summary>
    public string? PositiveClass { get; }

    /// <summary>The usable images, sorted by class then path.</summary>
    public IReadOnlyList<LabeledImage> Images { get; }

    /// <summary>Files that were not used, with the reason.</summary>
    public IReadOnlyList<SkippedFile> Skipped { get; }

    /// <summary>Number of images per class name.</summary>
    public IReadOnlyDictionary<string, int> CountByClass() =>
        Classes.ToDictionary(c => c, c => Images.Count(i => i.ClassName == c));

    /// <summary>
    /// Scans <paramref name="folder"/>. Throws <see cref="DirectoryNotFoundException"/> when it does not exist and
    /// <see cref="InvalidDataException"/> (naming the folder or file) when it cannot make a labelled dataset of it.
    /// </summary>
    public static ImageFolderDataset Scan(string folder, ImageFolderOptions? options = null)
    {
        options ??= new ImageFolderOptions();
        if (string.IsNullOrWhiteSpace(folder)) throw new ArgumentException("The data folder is empty.", nameof(folder));
        string root = Path.GetFullPath(folder);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"Data folder '{root}' does not exist. Expected a folder with one subfolder per class, e.g. def_front/ and ok_front/.");

        var skipped = new ConcurrentBag<SkippedFile>();
        void Skip(string path, string reason)
        {
            if (options.Strict) throw new InvalidDataException($"'{path}': {reason}");
            skipped.Add(new SkippedFile(path, reason));
        }

        foreach (var stray in Directory.EnumerateFiles(root).OrderBy(f => f, StringComparer.Ordinal))
            Skip(stray, "file outside any class folder");

        var candidates = new List<(string Class, string Path)>();
        var classes = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories(root).OrderBy(d => d, StringComparer.Ordinal))
        {
            string name = Path.GetFileName(dir);
            if (name.StartsWith('.')) continue; // hidden folders (.git, .ipynb_checkpoints)
            var files = ClassFiles(dir, d => Skip(d, "symbolic link to a folder inside a class folder; not followed")).OrderBy(f => f, StringComparer.Ordinal).ToList();
            int before = candidates.Count;
            foreach (var file in files)
            {
                if (!ImageProbe.HasImageExtension(file))
                {
                    Skip(file, "not an image file (extension is not .jpg, .jpeg, .png or .bmp)");
                    continue;
                }
                candidates.Add((name, file));
            }
            if (candidates.Count == before)
            {
                Skip(dir, "class folder holds no image files; the class is left out");
                continue;
            }
            classes.Add(name);
        }

        // Each real file counts once: where links name the same file, the file's own path wins (so a link cannot move a
        // file into another class), else the first link.
        var keep = candidates
            .Select((c, i) => (c.Path, Index: i, Real: RealPath(c.Path), IsLink: new FileInfo(c.Path).LinkTarget is not null))
            .GroupBy(c => c.Real, StringComparer.Ordinal)
            .Select(g => g.OrderBy(c => c.IsLink).ThenBy(c => c.Index).First())
            .ToDictionary(c => c.Real, c => c.Path, StringComparer.Ordinal);
        candidates = candidates.Where(c =>
        {
            string kept = keep[RealPath(c.Path)];
            if (kept == c.Path) return true;
            Skip(c.Path, $"the same file as '{kept}' (a link); each file counts once");
            return false;
        }).ToList();
        classes = classes.Where(c => candidates.Any(x => x.Class == c)).ToList();

        // Validate in parallel; results are put back in the deterministic candidate order.
        var probes = new ImageProbeResult[candidates.Count];
        Parallel.For(0, candidates.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxDegreeOfParallelism) },
            i => probes[i] = ImageProbe.Probe(candidates[i].Path, options.DecodeFully, options.MaxPixels));

        var usable = new List<(string Class, string Path)>();
        for (int i = 0; i < candidates.Count; i++)
        {
            if (probes[i].IsReadable) usable.Add(candidates[i]);
            else Skip(candidates[i].Path, probes[i].Error!);
        }

        // Report every skipped file before any error below, so the user sees why a class came up empty.
        var skippedList = skipped.OrderBy(s => s.Path, StringComparer.Ordinal).ToList();
        if (options.Warning is { } warn)
            foreach (var s in skippedList) warn($"warning: skipped '{s.Path}': {s.Reason}");

        classes = classes.Where(c => usable.Any(u => u.Class == c)).ToList();
        if (classes.Count < 2)
            throw new InvalidDataException(classes.Count == 0
                ? $"Data folder '{root}' has no class subfolder with readable images. Expected e.g. def_front/ and ok_front/."
                : $"Data folder '{root}' has only one class with readable images ('{classes[0]}'); a classifier needs at least two class folders.");

        string? positive = ResolvePositiveClass(root, classes, options.PositiveClass);
        var images = usable
            .Select(u => new LabeledImage(u.Path, u.Class, classes.IndexOf(u.Class), u.Class == positive))
            .ToList();

        return new ImageFolderDataset(root, classes, positive, images, skippedList);
    }

    /// <summary>
    /// The files below a class folder. Links to folders are not followed (a link to the parent or a sibling class
    /// would count files twice, in the wrong class, or loop); each is reported through <paramref name="skipLink"/>.
    /// </summary>
    private static IEnumerable<string> ClassFiles(string dir, Action<string> skipLink)
    {
        var pending = new Stack<string>();
        pending.Push(dir);
        while (pending.Count > 0)
        {
            string current = pending.Pop();
            foreach (var file in Directory.EnumerateFiles(current)) yield return file;
            foreach (var sub in Directory.EnumerateDirectories(current))
            {
                if (new DirectoryInfo(sub).LinkTarget is not null) skipLink(sub);
                else pending.Push(sub);
            }
        }
    }

    /// <summary>The file a path finally names, links resolved.</summary>
    private static string RealPath(string file)
    {
        try
        {
            return new FileInfo(file).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(file);
        }
        catch (IOException)
        {
            return Path.GetFullPath(file); // a dangling link: the probe reports it as unreadable
        }
    }

    /// <summary>
    /// Images for an anomaly detector, which learns from good parts only: a folder with class subfolders (as
    /// <see cref="Scan"/>; the defect folders serve validation and test), or a folder that holds the good images
    /// themselves, which becomes one class named after the folder with no defect class.
    /// </summary>
    public static ImageFolderDataset ScanGoodImages(string folder, ImageFolderOptions? options = null)
    {
        options ??= new ImageFolderOptions();
        if (string.IsNullOrWhiteSpace(folder)) throw new ArgumentException("The data folder is empty.", nameof(folder));
        string root = Path.GetFullPath(folder);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"Data folder '{root}' does not exist. Expected a folder of good images, or class subfolders such as def_front/ and ok_front/.");
        var files = Directory.EnumerateFiles(root).Where(ImageProbe.HasImageExtension).OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (files.Count == 0) return Scan(root, options);
        var probes = new ImageProbeResult[files.Count];
        Parallel.For(0, files.Count, i => probes[i] = ImageProbe.Probe(files[i], options.DecodeFully, options.MaxPixels));
        var skipped = new List<SkippedFile>();
        var images = new List<LabeledImage>();
        string name = Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar));
        for (int i = 0; i < files.Count; i++)
        {
            if (probes[i].IsReadable) { images.Add(new LabeledImage(files[i], name, 0, false)); continue; }
            if (options.Strict) throw new InvalidDataException($"'{files[i]}': {probes[i].Error}");
            skipped.Add(new SkippedFile(files[i], probes[i].Error!));
            options.Warning?.Invoke($"warning: skipped '{files[i]}': {probes[i].Error}");
        }
        if (images.Count == 0) throw new InvalidDataException($"Data folder '{root}' has no readable image.");
        return new ImageFolderDataset(root, [name], null, images, skipped);
    }

    /// <summary>Builds a dataset from an explicit image list (used by splits and by tests).</summary>
    public ImageFolderDataset WithImages(IEnumerable<LabeledImage> images) =>
        new(Root, Classes, PositiveClass, images.ToList(), Skipped);

    /// <summary>
    /// Stratified, seeded split: in each class the same fraction goes to validation, rounded down as Keras's
    /// <c>validation_split</c> does (the paper's 6,633 images split 5,307 / 1,326).
    /// </summary>
    public (ImageFolderDataset Train, ImageFolderDataset Validation) StratifiedSplit(double validationFraction, int seed)
    {
        var heldOut = StratifiedSampling.HeldOut(Images.Select(i => i.ClassIndex).ToList(), validationFraction, seed);
        var train = Images.Where((_, i) => !heldOut[i]);
        var validation = Images.Where((_, i) => heldOut[i]);
        return (WithImages(train.OrderBy(i => i.Path, StringComparer.Ordinal)), WithImages(validation.OrderBy(i => i.Path, StringComparer.Ordinal)));
    }

    /// <summary>
    /// The images as an ML.NET <see cref="IDataView"/> with columns <c>ImagePath</c> (text), <c>Label</c> (Boolean,
    /// true = defect) and <c>ClassName</c> (text).
    /// </summary>
    public IDataView ToDataView(MLContext mlContext) => ToDataView((mlContext ?? throw new ArgumentNullException(nameof(mlContext))).Data);

    /// <summary>The images as a view with columns <c>ImagePath</c>, <c>Label</c> and <c>ClassName</c>, made by <paramref name="catalog"/>.</summary>
    public IDataView ToDataView(DataOperationsCatalog catalog) =>
        catalog.LoadFromEnumerable(Images.Select(i => new ImageFolderRow { ImagePath = i.Path, Label = i.IsDefect, ClassName = i.ClassName }).ToList());

    private static string? ResolvePositiveClass(string root, List<string> classes, string? requested)
    {
        if (requested is not null)
        {
            if (!classes.Contains(requested))
                throw new InvalidDataException($"Positive class '{requested}' is not a class folder of '{root}' with images. Classes: {string.Join(", ", classes)}.");
            return requested;
        }
        var defects = classes.Where(c => c.StartsWith("def", StringComparison.OrdinalIgnoreCase)).ToList();
        return defects.Count == 1 ? defects[0]
            : classes.Count > 2 ? null // multiclass: no positive class needed
            : throw new InvalidDataException(
                $"Cannot tell which class of '{root}' is the defect class ({string.Join(", ", classes)}): exactly one folder name must start with \"def\", or name it with the positive-class option.");
    }
}

/// <summary>A row of the <see cref="IDataView"/> made by <see cref="ImageFolderDataset.ToDataView(Microsoft.ML.MLContext)"/>.</summary>
public sealed class ImageFolderRow
{
    /// <summary>Full path of the image.</summary>
    public string ImagePath { get; set; } = "";

    /// <summary>True when the image is of the defect class.</summary>
    public bool Label { get; set; }

    /// <summary>Name of the class folder.</summary>
    public string ClassName { get; set; } = "";
}
