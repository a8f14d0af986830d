using System.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Models.Weights;

/// <summary>
/// A model's TorchSharp weights (<c>Module.save</c> format) as written in weight files, checkpoints and network files:
/// keyed by layer name (<c>layers.conv2d.weight</c>), the one naming of every model. Files written before sequential
/// models became graphs keyed their layers by position (<c>blocks.0.weight</c>); they still load.
/// </summary>
internal static class ModuleWeights
{
    /// <summary>Writes the weights of <paramref name="model"/> to <paramref name="stream"/>.</summary>
    public static void Save(Sequential model, Stream stream)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        model.Module.save(writer);
    }

    /// <summary>Reads weights into <paramref name="model"/>: by layer name, or by position for a file of an earlier version.</summary>
    public static void Load(Sequential model, Stream stream)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        try
        {
            buffer.Position = 0;
            using var reader = new BinaryReader(buffer, Encoding.UTF8, leaveOpen: true);
            model.Module.load(reader);
        }
        catch (ArgumentException) when (Positional(buffer))
        {
            buffer.Position = 0;
            using var reader = new BinaryReader(buffer, Encoding.UTF8, leaveOpen: true);
            ByPosition(model).load(reader);
        }
    }

    /// <summary>
    /// A module that registers the model's layer modules (the same objects) by position, as the sequential module of
    /// earlier versions did: loading into it loads into the model. Never disposed: it owns nothing of its own.
    /// </summary>
    internal static nn.Module ByPosition(Sequential model)
    {
        var legacy = new PositionalModule(model.Module.Blocks);
        GC.SuppressFinalize(legacy);
        return legacy;
    }

    private static bool Positional(MemoryStream buffer) =>
        buffer.GetBuffer().AsSpan(0, (int)buffer.Length).IndexOf("blocks.0."u8) >= 0;

    private sealed class PositionalModule : nn.Module<Tensor, Tensor>
    {
        private readonly ModuleList<nn.Module<Tensor, Tensor>> blocks = new();

        public PositionalModule(IEnumerable<nn.Module<Tensor, Tensor>> modules) : base("sequential")
        {
            foreach (var m in modules) blocks.Add(m);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => throw new NotSupportedException("Only for loading weights.");
    }
}
