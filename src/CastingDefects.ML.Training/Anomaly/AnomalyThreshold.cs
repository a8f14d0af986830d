namespace CastingDefects.ML.Training.Anomaly;

/// <summary>Chooses the threshold of an anomaly score and the scale that turns scores into probabilities.</summary>
internal static class AnomalyThreshold
{
    /// <summary>
    /// With defect scores: the cut between two sorted scores that maximises balanced accuracy (mean of the good and the
    /// defect recall), placed midway. Without: the lowest cut that leaves at most <paramref name="falseRejectRate"/> of the
    /// good scores at or above it. The scale is the standard deviation of the good scores.
    /// </summary>
    public static (float Threshold, float Scale) Choose(IReadOnlyList<float> good, IReadOnlyList<float> defects, double falseRejectRate)
    {
        if (good.Count == 0) throw new InvalidOperationException("Choosing a threshold needs scores of good images.");
        var sortedGood = good.Order().ToArray();
        double mean = sortedGood.Average(v => (double)v);
        float scale = (float)Math.Max(Math.Sqrt(sortedGood.Average(v => (v - mean) * (v - mean))), 1e-6 * Math.Max(1, Math.Abs(mean)));
        if (defects.Count == 0)
        {
            int allowed = (int)Math.Floor(falseRejectRate * sortedGood.Length);
            int k = sortedGood.Length - allowed - 1; // the highest good score that must stay below the threshold
            float cut = allowed == 0 ? sortedGood[^1] + 0.1f * scale : (sortedGood[k] + sortedGood[k + 1]) / 2;
            return (cut, scale);
        }
        var all = sortedGood.Select(s => (Score: s, Defect: false)).Concat(defects.Select(s => (Score: s, Defect: true))).OrderBy(p => p.Score).ToArray();
        double bestBalanced = -1, bestGap = -1;
        float best = all[0].Score;
        int goodBelow = 0, defectsBelow = 0;
        for (int i = 0; i <= all.Length; i++)
        {
            // Cut before all[i]: everything from i on is called a defect.
            bool valid = i == 0 || i == all.Length || all[i].Score > all[i - 1].Score;
            if (valid)
            {
                double balanced = ((double)goodBelow / sortedGood.Length + (double)(defects.Count - defectsBelow) / defects.Count) / 2;
                float cut = i == 0 ? all[0].Score - 0.1f * scale : i == all.Length ? all[^1].Score + 0.1f * scale : (all[i - 1].Score + all[i].Score) / 2;
                double gap = i == 0 || i == all.Length ? 0 : all[i].Score - all[i - 1].Score;
                if (balanced > bestBalanced || (balanced == bestBalanced && gap > bestGap)) (bestBalanced, bestGap, best) = (balanced, gap, cut);
            }
            if (i < all.Length)
            {
                if (all[i].Defect) defectsBelow++;
                else goodBelow++;
            }
        }
        return (best, scale);
    }
}
