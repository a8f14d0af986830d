namespace CastingDefects.ML.Training.Search;

/// <summary>One configuration a <see cref="CastingModelSearch"/> may train.</summary>
/// <param name="Name">How the leaderboard names it (e.g. <c>paper-128-aug</c>, <c>resnet18-finetune-224</c>).</param>
/// <param name="Transfer">True: the pretrained ResNet18 with a trained head; false: the paper's CNN from scratch.</param>
/// <param name="ImageSize">Input width and height.</param>
/// <param name="Augment">Train with the paper's augmentation (CNN only).</param>
/// <param name="FineTune">Transfer only: after the head, fine-tune the backbone's last stage (see <see cref="Transfer.ImageTransferOptions.FineTuneEpochs"/>).</param>
/// <param name="BalancedClassWeights">Two classes only: weigh the classes in the loss inversely to their counts (<see cref="Fitting.ClassWeighting.Balanced"/>).</param>
/// <param name="Share">Its weight in the first rung's division of the time (1 = an equal share).</param>
public sealed record SearchCandidate(string Name, bool Transfer, int ImageSize, bool Augment, bool FineTune = false, bool BalancedClassWeights = false, double Share = 1)
{
    /// <summary>The budget from which <see cref="Portfolio"/> adds the paper CNN without augmentation and at 192 px.</summary>
    public static readonly TimeSpan RoomyBudget = TimeSpan.FromMinutes(20);

    /// <summary>
    /// The portfolio for a dataset, cheap and likely strong candidates first: the frozen pretrained ResNet18 at 224
    /// with a trained head (its features are computed once and shared by the ResNet18 candidates), the same with
    /// balanced class weights when one class has under a third of the images of two, the ResNet18 with its last stage
    /// fine-tuned (five shares of the time: its epochs are long, and it was the strongest on small real sets), the paper
    /// CNN at 128 with augmentation (three shares: it needs 30 to 40 epochs to converge), and, with a budget of
    /// <see cref="RoomyBudget"/> or more, the paper CNN at 128 without augmentation and at 192 with it where the images
    /// carry detail there. (With 10 minutes on 2 cores those two got one share, about 40 s: 1 to 11 epochs, and they
    /// ranked last on every set measured, so a shorter budget gives their time to the others. The frozen ResNet18 at
    /// 288 tied the one at 224 on every set measured, at 1.5 times the cost: pass it in
    /// <see cref="CastingModelSearchOptions.Candidates"/> to try it.)
    /// </summary>
    /// <param name="smallestSide">The median of the images' shorter sides.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="defectShare">Two classes: the share of defect images (for the class-weighted candidate).</param>
    /// <param name="budget">The search's time budget; null counts as roomy.</param>
    public static IReadOnlyList<SearchCandidate> Portfolio(int smallestSide, int classes = 2, double defectShare = 0.5, TimeSpan? budget = null)
    {
        var candidates = new List<SearchCandidate> { new("resnet18-transfer-224", true, 224, false, Share: 0.5) };
        if (classes == 2 && Math.Min(defectShare, 1 - defectShare) < 1.0 / 3)
            candidates.Add(new("resnet18-transfer-224-balanced", true, 224, false, BalancedClassWeights: true, Share: 0.25));
        candidates.Add(new("resnet18-finetune-224", true, 224, false, FineTune: true, Share: 5));
        candidates.Add(new("paper-128-aug", false, 128, true, Share: 3));
        if (budget is { } b && b < RoomyBudget) return candidates;
        candidates.AddRange(HeldBack(smallestSide));
        return candidates;
    }

    /// <summary>
    /// The candidates <see cref="Portfolio"/> holds back under a budget shorter than <see cref="RoomyBudget"/> (the
    /// paper CNN at 128 without augmentation, and at 192 with it where the images carry detail there): the search runs
    /// them with the time left over when every trial of the portfolio ended early. Empty for a roomy budget.
    /// </summary>
    /// <param name="smallestSide">The median of the images' shorter sides.</param>
    /// <param name="budget">The search's time budget; null counts as roomy.</param>
    public static IReadOnlyList<SearchCandidate> Reserves(int smallestSide, TimeSpan? budget) =>
        budget is { } b && b < RoomyBudget ? HeldBack(smallestSide).ToList() : [];

    private static IEnumerable<SearchCandidate> HeldBack(int smallestSide)
    {
        yield return new("paper-128", false, 128, false);
        if (smallestSide >= 192) yield return new("paper-192-aug", false, 192, true);
    }
}
