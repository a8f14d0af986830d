// TorchSharp's seed and thread count are process-wide: tests that train must not run concurrently.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace CastingDefects.ML.Training.Tests
{
    internal static class TestAssemblyInitializer
    {
        /// <summary>Some tests call TorchSharp directly before any library type loads: apply the library's native settings first, as an application would.</summary>
#pragma warning disable CA2255
        [System.Runtime.CompilerServices.ModuleInitializer]
#pragma warning restore CA2255
        internal static void Initialize() => CastingDefects.ML.Training.Runtime.NativeMathSettings.EnsureApplied();
    }
}
