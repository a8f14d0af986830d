using CastingDefects.ML.Training.Layers;

namespace CastingDefects.ML.Training.Models;

/// <summary>Ready-made architectures.</summary>
public static class CastingArchitectures
{
    /// <summary>Names accepted by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["paper"];

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

    /// <summary>An architecture by name (see <see cref="Names"/>); throws <see cref="ArgumentException"/> naming the choices.</summary>
    public static Sequential Create(string name, bool grayscale, int imageSize, int classes = 2) => name.ToLowerInvariant() switch
    {
        "paper" or "paper-gray" => Paper(grayscale, imageSize, imageSize, classes),
        _ => throw new ArgumentException($"Unknown architecture '{name}'. Available: {string.Join(", ", Names)}.", nameof(name)),
    };
}
