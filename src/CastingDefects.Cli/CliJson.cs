using System.Text.Json;
using System.Text.Json.Serialization;

namespace CastingDefects.Cli;

/// <summary>JSON output shared by the commands: snake_case, NaN allowed.</summary>
internal static class CliJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void Print(object value) => Console.WriteLine(JsonSerializer.Serialize(value, Options));
}
