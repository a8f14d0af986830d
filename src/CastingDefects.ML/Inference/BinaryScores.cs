using Microsoft.ML;
using Microsoft.ML.Data;

namespace CastingDefects.ML.Inference;

/// <summary>
/// The <c>Score</c>, <c>Probability</c> and <c>PredictedLabel</c> columns of a scored view, read together in one pass,
/// so each row's three values come from one run of the network. (Reading the columns one at a time with
/// <c>GetColumn</c> runs the whole pipeline once per column.)
/// </summary>
/// <param name="Scores">Logits.</param>
/// <param name="Probabilities">Defect probabilities.</param>
/// <param name="PredictedLabels">Decisions at the model's threshold (<c>Probability &gt;= threshold</c>, computed in the network).</param>
public sealed record BinaryScores(float[] Scores, float[] Probabilities, bool[] PredictedLabels)
{
    /// <summary>Number of rows.</summary>
    public int Count => Probabilities.Length;

    /// <summary>Reads every row of <paramref name="scored"/>.</summary>
    public static BinaryScores Read(IDataView scored)
    {
        ArgumentNullException.ThrowIfNull(scored);
        var schema = scored.Schema;
        var columns = new[] { "Score", "Probability", "PredictedLabel" }
            .Select(n => schema.GetColumnOrNull(n) ?? throw new ArgumentException($"The scored data has no '{n}' column: it was not scored by a binary model.", nameof(scored)))
            .ToArray();
        var scores = new List<float>();
        var probabilities = new List<float>();
        var decisions = new List<bool>();
        using var cursor = scored.GetRowCursor(columns);
        var score = cursor.GetGetter<float>(columns[0]);
        var probability = cursor.GetGetter<float>(columns[1]);
        var decision = cursor.GetGetter<bool>(columns[2]);
        float s = 0, p = 0;
        bool d = false;
        while (cursor.MoveNext())
        {
            score(ref s);
            probability(ref p);
            decision(ref d);
            scores.Add(s);
            probabilities.Add(p);
            decisions.Add(d);
        }
        return new BinaryScores(scores.ToArray(), probabilities.ToArray(), decisions.ToArray());
    }
}
