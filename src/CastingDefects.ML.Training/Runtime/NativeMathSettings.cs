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
/// <c>ONEDNN_MAX_CPU_ISA=ALL</c> to measure the AVX-512 kernels). The NaN comes from the kernels for NCHW tensors: on
/// the channels-last batches the trainer now feeds (<see cref="ChannelsLast"/>) the same run trains normally with
/// AVX-512, about 30 % faster (426 against 334 images/s at 128x128 on one thread); the cap stays because Grad-CAM,
/// PaDiM's features and any user code still run NCHW tensors, and for the same numbers on every CPU.
/// </para>
/// <para>
/// On Linux (glibc), large blocks freed by libtorch stay in the heap for the next step instead of going back to the
/// system (<c>mallopt</c>: mmap threshold at 1 GB, automatic trimming off). By default glibc serves every block over its
/// mmap threshold with a fresh mapping, so each training step mapped, zero-filled and unmapped its activation buffers (a
/// batch of 32 gray 128x128 images makes 8 MB ones): measured on 2 cores with the paper's CNN at 128x128, training ran
/// at 117 images/s with as much system time as user time, and 394 images/s with the thresholds raised; at batch 64,
/// inference went from 190 to 936 images/s. Trimming is off, not merely raised: at 300x300 a step's buffers span several
/// GB, so with a 1 GB trim threshold glibc handed the top of the heap back whenever a step freed it and the next steps
/// faulted it in again, page by page (up to 1.3 million faults an epoch of 1,024 images): measured, <c>casting-defects
/// train --image-size 300 --epochs 3</c> on the Kaggle set (2 cores) took 70.8 / 72.2 / 74.8 s per epoch with the 1 GB
/// threshold and 52.8 / 46.4 / 46.3 s without trimming, the same weights; peak memory 6.9 against 8.5 GB. The price is
/// that the process keeps its peak heap instead of shrinking after training: call <see cref="ReleaseFreedMemory"/> to
/// give it back. Set <c>CASTINGDEFECTS_SYSTEM_MALLOC=1</c> to leave glibc's defaults.
/// </para>
/// <para>
/// This reaches the main thread's heap only. glibc gives other threads heaps of at most 64 MB and serves any larger
/// block they ask for with a fresh mapping whatever the thresholds, and a process cannot move a thread to the main heap
/// once it runs. Training at 300x300 (182 MB activation buffers at batch 32) from a worker thread was therefore measured
/// at 158 ms per image against 13 ms on the main thread (the paper's CNN, 2 cores). Train on the main thread (the
/// <c>casting-defects</c> tool does), or start the process with <c>MALLOC_ARENA_MAX=1</c> in its environment, which
/// gives every thread the main heap (measured: 15 ms per image from the worker thread after two epochs of warm-up).
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
        if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("CASTINGDEFECTS_SYSTEM_MALLOC") != "1") KeepFreedBlocks();
    }

    /// <summary>True when the heap keeps freed large blocks for reuse (see the remarks of this class).</summary>
    public static bool KeepsFreedBlocks { get; private set; }

    private static void KeepFreedBlocks()
    {
        if (KeepsFreedBlocks) return;
        try
        {
            // A trim threshold of -1 (SIZE_MAX for glibc) turns automatic trimming off; malloc_trim still trims.
            const int MmapThreshold = -3, TrimThreshold = -1, OneGigabyte = 1 << 30, Never = -1;
            KeepsFreedBlocks = mallopt(MmapThreshold, OneGigabyte) == 1 & mallopt(TrimThreshold, Never) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            // not glibc (musl): its allocator has no such settings
        }
    }

    /// <summary>
    /// Gives the memory kept for reuse back to the system: collects the managed heap (and finalizes tensors nobody
    /// disposed), then trims glibc's heap (<c>malloc_trim</c>) when it keeps freed blocks. For a pause between phases
    /// whose buffers have other shapes, such as the trials of a model search: each would otherwise add its own kept
    /// blocks to the peak. Costs tens of milliseconds; call it between phases, never per step.
    /// </summary>
    public static void ReleaseFreedMemory()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (!KeepsFreedBlocks) return;
        try { _ = malloc_trim(0); }
        catch (EntryPointNotFoundException) { } // not glibc
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);

    /// <summary>
    /// Sets a variable in the native environment that libtorch reads with getenv. On Unix .NET keeps its own copy of
    /// the environment, so <see cref="Environment.SetEnvironmentVariable(string, string)"/> alone would not reach it.
    /// </summary>
    private static void SetNative(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value);
        if (!OperatingSystem.IsWindows()) _ = setenv(name, value, 1);
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int parameter, int value);

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int setenv(string name, string value, int overwrite);
}
