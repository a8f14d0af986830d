using System.CommandLine;
using CastingDefects.ML.Training.Models;

namespace CastingDefects.Cli;

internal static class SummaryCommand
{
    public static Command Create()
    {
        var arch = new Option<string>("--arch") { Description = $"Architecture: {string.Join(", ", CastingArchitectures.Names)}", DefaultValueFactory = _ => "paper" };
        var gray = new Option<bool>("--grayscale") { Description = "One gray input plane instead of three RGB planes" };
        var size = new Option<int>("--image-size") { Description = "Input width and height in pixels", DefaultValueFactory = _ => 300 };
        var head = new Option<string>("--head") { Description = "Binary head: sigmoid1 (default) or softmax2 (the paper's Table 1 counts for the comparison networks)", DefaultValueFactory = _ => "sigmoid1" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("summary", "Print a Keras-style summary of an architecture: layers, output shapes, parameter counts.") { arch, head, gray, size, json };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            using var model = CastingArchitectures.Create(parse.GetValue(arch)!, parse.GetValue(gray), parse.GetValue(size), head: HeadOption.Parse(parse.GetValue(head)!));
            var counts = model.CountParameters();
            if (parse.GetValue(json))
                CliJson.Print(new
                {
                    model = model.Name,
                    head = model.Head.ToString().ToLowerInvariant(),
                    input_shape = new[] { model.InputShape.Channels, model.InputShape.Height, model.InputShape.Width },
                    total_params = counts.Total, trainable_params = counts.Trainable, non_trainable_params = counts.NonTrainable,
                    layers = model.SummaryRows().Select(r => new { name = r.Name, type = r.Type, output_shape = r.OutputShape.ToString(), @params = r.Parameters }),
                });
            else Console.Write(model.Summary());
            return 0;
        }));
        return command;
    }
}
