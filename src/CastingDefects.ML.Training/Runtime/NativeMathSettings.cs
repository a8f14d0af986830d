using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CastingDefects.ML.Training.Runtime;

/// <summary>
/// Settings of libtorch's native math libraries, applied when this assembly loads, before libtorch starts.
/// <para>
/// oneDNN (libtorch's convolution library) is capped at AVX2 (<c>ONEDNN_MAX_CPU_ISA=AVX2</c>). Its AVX-512 convolution
/// kernels in TorchSharp-cpu 0.107 (libtorch 2.10) return NaN on some AVX-512 CPUs: measured on an AMD EPYC with
/// AVX-512 (2 threads, the paper's CNN on one gray plane at 64x64), every loss was NaN from the first epoch, while
/// AVX2, or one thread, trained normally. AVX2 kernels run on every x64 CPU this library supports, so training also
/// gives the same numbers on AVX2 and AVX-512 machines. A value the user set in the environment is kept (for example
/// <c>ONEDNN_MAX_CPU_ISA=ALL</c> to measure the AVX-512 kernels).
/// </para>
/// </summary>
public static class NativeMathSettings
{
    /// <summary>The instruction set oneDNN is capped at unless the environment says otherwise.</summary>
    public const string DefaultMaxCpuIsa = "AVX2";

    private static readonly string[] Variables = ["ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"];

    /// <summary>The cap in force for this process (the user's value, or <see cref="DefaultMaxCpuIsa"/>).</summary>
    public static string MaxCpuIsa { get; private set; } = DefaultMaxCpuIsa;

    // A library module initializer on purpose: the cap must be in the native environment before any TorchSharp call,
    // whichever of this assembly's types the application touches first.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Apply() => EnsureApplied();

    /// <summary>
    /// Applies the settings (idempotent). Runs by itself when this assembly loads; call it first only where the
    /// application runs TorchSharp itself before touching any type of this library, since oneDNN reads the cap once,
    /// at its first convolution.
    /// </summary>
    public static void EnsureApplied()
    {
        string? user = Variables.Select(Environment.GetEnvironmentVariable).FirstOrDefault(v => !string.IsNullOrEmpty(v));
        MaxCpuIsa = user ?? DefaultMaxCpuIsa;
        foreach (var name in Variables) SetNative(name, MaxCpuIsa);
    }

    /// <summary>
    /// Sets a variable in the native environment that libtorch reads with getenv. On Unix .NET keeps its own copy of
    /// the environment, so <see cref="Environment.SetEnvironmentVariable(string, string)"/> alone would not reach it.
    /// </summary>
    private static void SetNative(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value);
        if (!OperatingSystem.IsWindows()) _ = setenv(name, value, 1);
    }

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int setenv(string name, string value, int overwrite);
}
