using System.CommandLine;
using CastingDefects.ML.Data;

namespace CastingDefects.Cli;

internal static class AuditCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Folder with one subfolder per class", Required = true };
        var against = new Option<string?>("--against") { Description = "A second folder (e.g. the test set) to check for images shared with --data" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("audit", "Audit a dataset: counts per class, unreadable files, sizes and channels, duplicate images within and across folders.")
            { data, against, json };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var report = DatasetAudit.Run(parse.GetValue(data)!, parse.GetValue(against));
            if (parse.GetValue(json))
                CliJson.Print(new
                {
                    root = report.Root,
                    classes = report.Classes,
                    unreadable = report.Unreadable.Select(u => new { path = u.Path, reason = u.Reason }),
                    sizes = report.Sizes,
                    channels = report.Channels,
                    duplicates_within = new { count = report.DuplicatesWithin.Count, groups = report.DuplicatesWithin },
                    cross_duplicates = new { count = report.CrossDuplicates.Count, pairs = report.CrossDuplicates.Select(p => new[] { p.Path, p.Other }) },
                    near_duplicates = new { count = report.NearDuplicates.Count, max_mean_difference = DatasetAudit.NearDuplicateDistance,
                        pairs = report.NearDuplicates.Select(p => new { a = p.Path, b = p.Other, mean_difference = p.Distance }) },
                });
            else Console.Write(report.ToText());
            return 0;
        }));
        return command;
    }
}
