using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace CastingDefects.ML.Inference;

/// <summary>The ONNX outputs as ML.NET sees them: vectors of length 1 per row.</summary>
public sealed class OnnxScoreColumns
{
    /// <summary>Logit, one element.</summary>
    [ColumnName(OnnxContract.LogitName), VectorType(1)]
    public float[] Logit { get; set; } = [];

    /// <summary>Probability, one element.</summary>
    [ColumnName(OnnxContract.ProbabilityName), VectorType(1)]
    public float[] Probability { get; set; } = [];

    /// <summary>Decision (0 or 1), one element.</summary>
    [ColumnName(OnnxContract.DecisionName), VectorType(1)]
    public float[] Decision { get; set; } = [];
}

/// <summary>Scalar <c>Score</c>, <c>Probability</c> and <c>PredictedLabel</c>, as ML.NET's evaluators and engines expect.</summary>
public sealed class BinaryScoreColumns
{
    /// <summary>Raw score (logit).</summary>
    public float Score { get; set; }

    /// <summary>Probability of the positive (defect) class.</summary>
    public float Probability { get; set; }

    /// <summary>Decision at the model's threshold.</summary>
    public bool PredictedLabel { get; set; }
}

/// <summary>
/// Saveable custom mapping from the ONNX [N] outputs to scalar binary-classification columns. Loading a model that
/// contains it needs this assembly registered: <c>LoadCastingModel</c> does that.
/// </summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class ScoreColumnsMappingFactory : CustomMappingFactory<OnnxScoreColumns, BinaryScoreColumns>
{
    /// <summary>Contract name stored in saved models.</summary>
    public const string ContractName = "CastingDefects.ML.OnnxScoreToBinaryColumns";

    /// <summary>The mapping itself.</summary>
    public static void Map(OnnxScoreColumns input, BinaryScoreColumns output)
    {
        output.Score = input.Logit.Length > 0 ? input.Logit[0] : float.NaN;
        output.Probability = input.Probability.Length > 0 ? input.Probability[0] : float.NaN;
        output.PredictedLabel = input.Decision.Length > 0 && input.Decision[0] > 0.5f;
    }

    /// <inheritdoc />
    public override Action<OnnxScoreColumns, BinaryScoreColumns> GetMapping() => Map;
}
