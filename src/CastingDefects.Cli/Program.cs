using System.CommandLine;
using CastingDefects.Cli;

var root = new RootCommand("casting-defects: train, evaluate and deploy classifiers of defective vs good casting images (CastingDefects.ML).");
root.Subcommands.Add(SummaryCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(AuditCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(BenchmarkCommand.Create());
return root.Parse(args).Invoke();
