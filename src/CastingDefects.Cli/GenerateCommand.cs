using System.CommandLine;
using CastingDefects.ML.Synthetic;

namespace CastingDefects.Cli;

internal static class GenerateCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Folder to write def_front/ and ok_front/ into (with --by-kind: the six class folders)", Required = true };
        var defaults = new SyntheticCastingOptions(); // the built-in dataset's sizes: one place for them
        var defective = new Option<int>("--defective") { Description = "Defective images", DefaultValueFactory = _ => defaults.DefectiveCount };
        var good = new Option<int>("--good") { Description = "Good images", DefaultValueFactory = _ => defaults.GoodCount };
        var size = new Option<int>("--size") { Description = "Image width and height", DefaultValueFactory = _ => defaults.ImageSize };
        var seed = new Option<int>("--seed") { Description = "Seed", DefaultValueFactory = _ => 42 };
        var strength = new Option<float>("--defect-strength") { Description = "How visible defects are, 0.5 (subtle) to 2 (obvious)", DefaultValueFactory = _ => defaults.DefectStrength };
        var byKind = new Option<int?>("--by-kind")
        {
            Description = "Instead: a six-class set with this many images per class, ok/ and one folder per defect kind (blow_hole/, pinholes/, crack/, burr/, missing_material/; one defect per image)",
        };
        var command = new Command("generate", "Write a synthetic casting dataset (pump impellers photographed from above as in the Kaggle set, with flash on the rim, blow holes, pinholes, cracks, bites out of the rim).")
            { output, defective, good, size, seed, strength, byKind };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var options = new SyntheticCastingOptions
            {
                DefectiveCount = parse.GetValue(defective), GoodCount = parse.GetValue(good), ImageSize = parse.GetValue(size), Seed = parse.GetValue(seed),
                DefectStrength = parse.GetValue(strength),
            };
            int? perClass = parse.GetValue(byKind);
            if (perClass is < 1) throw new ArgumentException($"--by-kind must be at least 1 (got {perClass}).");
            int n = perClass is { } count
                ? SyntheticCastingGenerator.GenerateByKind(parse.GetValue(output)!, count, options)
                : SyntheticCastingGenerator.Generate(parse.GetValue(output)!, options);
            Console.WriteLine($"wrote {n} images to {Path.GetFullPath(parse.GetValue(output)!)} in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        }));
        return command;
    }
}
