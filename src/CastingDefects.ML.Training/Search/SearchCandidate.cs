namespace CastingDefects.ML.Training.Search;

/// <summary>One configuration a <see cref="CastingModelSearch"/> may train.</summary>
/// <param name="Name">How the leaderboard names it (e.g. <c>paper-128-aug</c>, <c>resnet18-transfer-224</c>).</param>
/// <param name="Transfer">True: the pretrained ResNet18, frozen, with a trained head; false: the paper's CNN from scratch.</param>
/// <param name="ImageSize">Input width and height.</param>
/// <param name="Augment">Train with the paper's augmentation (CNN only).</param>
public sealed record SearchCandidate(string Name, bool Transfer, int ImageSize, bool Augment)
{
    /// <summary>
    /// The portfolio for a dataset: the frozen pretrained ResNet18 at 224 (strong on small real datasets), the paper CNN
    /// at 128 with and without augmentation, and larger inputs where the images are large enough to carry detail there
    /// (the paper CNN at 192, the ResNet18 at 288). Cheap, likely strong candidates come first.
    /// </summary>
    /// <param name="smallestSide">The median of the images' shorter sides.</param>
    public static IReadOnlyList<SearchCandidate> Portfolio(int smallestSide)
    {
        var candidates = new List<SearchCandidate>
        {
            new("resnet18-transfer-224", true, 224, false),
            new("paper-128-aug", false, 128, true),
            new("paper-128", false, 128, false),
        };
        if (smallestSide >= 192) candidates.Add(new("paper-192-aug", false, 192, true));
        if (smallestSide >= 288) candidates.Add(new("resnet18-transfer-288", true, 288, false));
        return candidates;
    }
}
