// TorchSharp's seed and thread count are process-wide: tests that train must not run concurrently.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
