using System.Text.Json;
using System.Text.Json.Serialization;

namespace CastingDefects.ML.Evaluation.Reports;

/// <summary>
/// The training history beside a saved model (<c>MODEL.history.json</c>: one <see cref="TrainingCurve"/> per epoch,
/// snake_case, NaN allowed for epochs without validation), written by a training run and read by later reports.
/// </summary>
public static class TrainingHistoryFile
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The history file of a model file.</summary>
    public static string PathFor(string modelPath) => Path.ChangeExtension(modelPath, ".history.json");

    /// <summary>Writes the curves to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, IReadOnlyList<TrainingCurve> curves) => JsonSerializer.Serialize(stream, curves, Json);

    /// <summary>
    /// The history of <paramref name="modelPath"/>, or none when there is no history file; an unreadable one throws
    /// <see cref="InvalidDataException"/> naming it.
    /// </summary>
    public static IReadOnlyList<TrainingCurve> Read(string modelPath)
    {
        string path = PathFor(modelPath);
        if (!File.Exists(path)) return [];
        try
        {
            return JsonSerializer.Deserialize<List<TrainingCurve>>(File.ReadAllText(path), Json) ?? [];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Training history '{path}' is unreadable: {e.Message}", e);
        }
    }
}
