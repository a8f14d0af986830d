using System.Text.RegularExpressions;

namespace CastingDefects.Cli;

/// <summary>Rewrites System.CommandLine's parse errors in the user's terms (no .NET type names).</summary>
internal static partial class CliParseErrors
{
    public static string Describe(string message)
    {
        var m = CannotParse().Match(message);
        if (!m.Success) return message;
        string type = m.Groups["type"].Value;
        string expected = type.Contains("Int32", StringComparison.Ordinal) ? "a whole number"
            : type.Contains("Single", StringComparison.Ordinal) || type.Contains("Double", StringComparison.Ordinal) ? "a number (e.g. 0.5)"
            : type.Contains("Boolean", StringComparison.Ordinal) ? "true or false"
            : "a value of another form";
        return $"{m.Groups["option"].Value}: '{m.Groups["value"].Value}' is not {expected}.";
    }

    [GeneratedRegex(@"Cannot parse argument '(?<value>.*)' for option '(?<option>[^']+)' as expected type '(?<type>[^']+)'")]
    private static partial Regex CannotParse();
}
