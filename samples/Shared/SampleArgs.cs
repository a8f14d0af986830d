using System.Globalization;

/// <summary>
/// A sample's command-line options, <c>--name value</c> pairs. An unknown option (a typo such as <c>--inptu</c>), an
/// option without its value or a number that does not parse stops the sample with a message naming it (exit 2), so
/// nothing runs silently with a default the user meant to change.
/// </summary>
internal sealed class SampleArgs
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public SampleArgs(string[] args, params string[] known)
    {
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (!known.Contains(name) && !known.Contains(name + "!")) Fail($"unknown option '{name}'. Options: {string.Join(", ", known.Select(k => k.TrimEnd('!')))}.");
            if (known.Contains(name + "!")) { _values[name] = "true"; continue; }   // a flag ("--full!" in known): no value
            if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal)) Fail($"{name} needs a value.");
            _values[name] = args[++i];
        }
    }

    /// <summary>True when the flag <paramref name="name"/> (declared as <c>name!</c>) was given.</summary>
    public bool Flag(string name) => _values.ContainsKey(name);

    /// <summary>The value given for <paramref name="name"/>, or null.</summary>
    public string? Get(string name) => _values.GetValueOrDefault(name);

    /// <summary>The value given for <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public string Get(string name, string fallback) => Get(name) ?? fallback;

    /// <summary>A whole number given for <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public int Int(string name, int fallback)
    {
        if (Get(name) is not { } text) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value <= 0) Fail($"{name}: '{text}' is not a positive whole number.");
        return value;
    }

    private static void Fail(string message)
    {
        Console.Error.WriteLine("error: " + message);
        Environment.Exit(2);
    }
}
