using CastingDefects.ML.Build;

namespace CastingDefects.ML.Training.Tests;

public class ElfPatcherTests
{
    private static string NuGetCopy()
    {
        string root = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

    [Fact]
    public void Marks_the_glibcxx_3_4_32_need_weak_once_and_leaves_other_bytes_alone()
    {
        string original = NuGetCopy();
        Assert.True(File.Exists(original), original);
        var bytes = File.ReadAllBytes(original);
        var patched = (byte[])bytes.Clone();
        Assert.Equal(ElfPatchOutcome.Patched, ElfVersionNeedPatcher.MarkWeak(patched, "GLIBCXX_3.4.32"));
        int changed = Enumerable.Range(0, bytes.Length).Count(i => bytes[i] != patched[i]);
        Assert.Equal(1, changed); // one flag byte
        Assert.Equal(ElfPatchOutcome.AlreadyWeak, ElfVersionNeedPatcher.MarkWeak(patched, "GLIBCXX_3.4.32"));
        Assert.Equal(ElfPatchOutcome.NotNeeded, ElfVersionNeedPatcher.MarkWeak((byte[])bytes.Clone(), "GLIBCXX_9.9.99"));
    }

    [Fact]
    public void The_copy_next_to_the_app_matches_the_host()
    {
        string local = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(local), local);
        var bytes = File.ReadAllBytes(local);
        bool hostHasIt = ElfVersionNeedPatcher.HostDefinesVersion("GLIBCXX_3.4.32", ElfVersionNeedPatcher.LibStdCxxCandidates, out _);
        var outcome = ElfVersionNeedPatcher.MarkWeak(bytes, "GLIBCXX_3.4.32");
        Assert.Equal(hostHasIt ? ElfPatchOutcome.Patched : ElfPatchOutcome.AlreadyWeak, outcome);
        Assert.Equal(File.ReadAllBytes(NuGetCopy()).Length, new FileInfo(local).Length);
    }

    [Fact]
    public void Unknown_layouts_are_refused_with_a_reason()
    {
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.MarkWeak(new byte[100], "X")).Message);
        var elf32 = new byte[100];
        elf32[0] = 0x7F; elf32[1] = (byte)'E'; elf32[2] = (byte)'L'; elf32[3] = (byte)'F'; elf32[4] = 1; elf32[5] = 1;
        Assert.Contains("64-bit", Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.MarkWeak(elf32, "X")).Message);
        var truncated = File.ReadAllBytes(NuGetCopy())[..4096];
        Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.MarkWeak(truncated, "GLIBCXX_3.4.32"));
    }
}
