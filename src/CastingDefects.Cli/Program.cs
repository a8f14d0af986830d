using System.CommandLine;
using CastingDefects.Cli;

var root = new RootCommand("casting-defects: train, evaluate and deploy classifiers of defective vs good casting images (CastingDefects.ML).");
root.Subcommands.Add(SummaryCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(PruneCommand.Create());
root.Subcommands.Add(QuantizeCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(ExplainCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(AuditCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(BenchmarkCommand.Create());
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
{
    // One line per problem, naming the option, instead of .NET type names and the whole help text.
    foreach (var error in parsed.Errors) Console.Error.WriteLine("error: " + CliParseErrors.Describe(error.Message));
    Console.Error.WriteLine($"Run 'casting-defects {string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')))} --help' for the options.");
    return 1;
}
return parsed.Invoke();
