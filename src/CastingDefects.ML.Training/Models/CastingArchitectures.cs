using CastingDefects.ML.Training.Layers;
using CastingDefects.ML.Training.Models.Applications;

namespace CastingDefects.ML.Training.Models;

/// <summary>
/// Ready-made architectures, in one registry: the CLI's <c>--arch</c>, the benchmarks and the tests all read
/// <see cref="Names"/>; adding an architecture is one entry here plus its file under <c>Applications/</c>.
/// </summary>
public static class CastingArchitectures
{
    /// <summary>One architecture: its name, its aliases and how to build it (grayscale, image size, head, classes).</summary>
    private sealed record Entry(string Name, string[] Aliases, Func<bool, int, HeadKind, int, Sequential> Create);

    private static readonly Entry[] Registry =
    [
        new("paper", ["paper-gray"], (gray, size, head, classes) => PaperWithHead(gray, size, head, classes)),
        new("mobilenetv2", [], (gray, size, head, classes) => OnBackbone("mobilenetv2", gray, size, head, classes, MobileNetV2.Create(gray ? 1 : 3, size, size))),
        new("nasnetmobile", ["nasnet"], (gray, size, head, classes) => OnBackbone("nasnetmobile", gray, size, head, classes, NASNetMobile.Create(gray ? 1 : 3, size, size))),
        new("resnet50", [], (gray, size, head, classes) => OnBackbone("resnet50", gray, size, head, classes, ResNet50.Create(gray ? 1 : 3, size, size))),
        new("resnet18", [], (gray, size, head, classes) => OnBackbone("resnet18", gray, size, head, classes, ResNet18.Create(gray ? 1 : 3, size, size))),
        new("resnet18-pretrained", [], (gray, size, head, classes) => PretrainedResNet18.Create(gray, size, head, classes, freezeBackbone: false)),
    ];

    /// <summary>Names accepted by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = Registry.Select(e => e.Name).ToArray();

    /// <summary>
    /// The paper's custom CNN (Bolla, Kingam, Ethiraj 2022, from its published code): five 3x3 valid convolutions
    /// (16, 16, 8, 8, 8 filters, ReLU), three BatchNormalization and three MaxPooling2D layers, global average pooling,
    /// Dense(64, ReLU) and Dense(1, sigmoid). At 300x300: 5,865 parameters in RGB (5,801 trainable, 64 non-trainable),
    /// 5,577 in grayscale (5,513 / 64).
    /// </summary>
    public static Sequential Paper(bool grayscale = true, int imageSize = 300) => Paper(grayscale, imageSize, imageSize);

    /// <summary>The paper's custom CNN for W x H inputs; see <see cref="Paper(bool, int)"/>.</summary>
    public static Sequential Paper(bool grayscale, int width, int height) => Paper(grayscale, width, height, classes: 2);

    /// <summary>
    /// The paper's CNN for <paramref name="classes"/> classes: two keep the paper's Dense(1, sigmoid) head, more get
    /// Dense(classes, softmax).
    /// </summary>
    public static Sequential Paper(bool grayscale, int width, int height, int classes)
    {
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "A classifier needs at least two classes.");
        var body = new Sequential((grayscale ? 1 : 3, height, width), grayscale ? "paper-gray" : "paper")
            .Conv2D(16, 3, activation: Activation.ReLU).BatchNormalization().MaxPooling2D(2)
            .Conv2D(16, 3, activation: Activation.ReLU).MaxPooling2D(2)
            .Conv2D(8, 3, activation: Activation.ReLU).MaxPooling2D(2)
            .Conv2D(8, 3, activation: Activation.ReLU).BatchNormalization()
            .Conv2D(8, 3, activation: Activation.ReLU).BatchNormalization()
            .GlobalAveragePooling2D()
            .Dense(64, Activation.ReLU);
        return classes == 2 ? body.Dense(1, Activation.Sigmoid) : body.Dense(classes, Activation.Softmax);
    }

    /// <summary>
    /// An architecture by name (see <see cref="Names"/>); throws <see cref="ArgumentException"/> naming the choices.
    /// The comparison networks are the Keras application backbones (random initialisation) followed by global average
    /// pooling and the head: <see cref="HeadKind.Sigmoid1"/> (the library's binary default, one unit) or
    /// <see cref="HeadKind.Softmax2"/> (the paper's Table 1 counts). <c>resnet18-pretrained</c> is ResNet18 with the
    /// ImageNet weights of Microsoft.ML.DnnImageFeaturizer.ResNet18 and the whole network trainable (fine-tuning).
    /// </summary>
    public static Sequential Create(string name, bool grayscale, int imageSize, int classes = 2, HeadKind? head = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "A classifier needs at least two classes.");
        var kind = classes > 2 ? HeadKind.SoftmaxN : head ?? HeadKind.Sigmoid1;
        if (classes == 2 && kind == HeadKind.SoftmaxN) throw new ArgumentException("A binary classifier takes the Sigmoid1 or Softmax2 head.", nameof(head));
        string key = Resolve(name);
        return Registry.First(e => e.Name == key).Create(grayscale, imageSize, kind, classes);
    }

    /// <summary>The paper's CNN with the given head (its own Dense(1, sigmoid) unless the paper's two-unit softmax is asked for).</summary>
    private static Sequential PaperWithHead(bool grayscale, int imageSize, HeadKind kind, int classes)
    {
        var paper = Paper(grayscale, imageSize, imageSize, classes);
        if (kind != HeadKind.Softmax2) return paper;
        var softmax = new Sequential((grayscale ? 1 : 3, imageSize, imageSize), paper.Name);
        foreach (var layer in paper.Layers.Take(paper.Layers.Count - 1)) softmax.Add(layer);
        return AddHead(softmax, kind, classes);
    }

    /// <summary>A Keras application backbone, global average pooling and the head.</summary>
    private static Sequential OnBackbone(string key, bool grayscale, int imageSize, HeadKind kind, int classes, Functional backbone)
    {
        var model = new Sequential((grayscale ? 1 : 3, imageSize, imageSize), grayscale ? key + "-gray" : key).Add(backbone).GlobalAveragePooling2D();
        return AddHead(model, kind, classes);
    }

    /// <summary>
    /// The canonical name (one of <see cref="Names"/>) of an architecture name, case-insensitive, with the aliases
    /// paper-gray and nasnet; throws <see cref="ArgumentException"/> naming the choices. Checks a name without
    /// building anything.
    /// </summary>
    public static string Resolve(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string lower = name.ToLowerInvariant();
        return Registry.FirstOrDefault(e => e.Name == lower || e.Aliases.Contains(lower))?.Name ?? throw new ArgumentException($"Unknown architecture '{name}'. Available: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>
    /// The smallest square input (pixels) architecture <paramref name="name"/> accepts: below it a kernel or pool no
    /// longer fits (the paper's CNN: 54). Found by building the layer shapes, nothing is allocated.
    /// </summary>
    public static int MinimumImageSize(string name, bool grayscale = true)
    {
        string key = Resolve(name);
        if (key == "resnet18-pretrained") key = "resnet18"; // same layer shapes; avoids loading the weights
        bool Fits(int size)
        {
            try { _ = Create(key, grayscale, size); return true; }
            catch (ArgumentException) { return false; }
        }
        int low = 1, high = 1024; // Fits(high) for every architecture; shapes only shrink with the input
        while (low < high)
        {
            int mid = (low + high) / 2;
            if (Fits(mid)) high = mid; else low = mid + 1;
        }
        return low;
    }

    /// <summary>
    /// Checks that <paramref name="imageSize"/> suits architecture <paramref name="name"/>; throws
    /// <see cref="ArgumentException"/> with the smallest size it accepts.
    /// </summary>
    public static void CheckImageSize(string name, bool grayscale, int imageSize)
    {
        int minimum = MinimumImageSize(name, grayscale);
        if (imageSize < minimum)
            throw new ArgumentException($"Image size {imageSize} is too small for architecture '{Resolve(name)}': it takes at least {minimum}x{minimum} pixels.", nameof(imageSize));
    }

    /// <summary>Appends the classification head: Dense(1, sigmoid), Dense(2, softmax) or Dense(classes, softmax).</summary>
    public static Sequential AddHead(Sequential model, HeadKind head, int classes = 2)
    {
        ArgumentNullException.ThrowIfNull(model);
        return head switch
        {
            HeadKind.Sigmoid1 => model.Dense(1, Activation.Sigmoid),
            HeadKind.Softmax2 => model.Dense(2, Activation.Softmax),
            _ => model.Dense(classes, Activation.Softmax),
        };
    }
}
