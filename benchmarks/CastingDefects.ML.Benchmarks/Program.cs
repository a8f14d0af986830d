using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/CastingDefects.ML.Benchmarks -- --filter '*'            (full suite)
// dotnet run -c Release --project benchmarks/CastingDefects.ML.Benchmarks -- --filter '*' --job short (quick look)
// CASTING_BENCH_DATA=../shared/data/casting/train to preprocess real images instead of synthetic ones.
// MALLOC_ARENA_MAX=1 in front for TrainingThroughputBenchmarks with --inProcess: it trains on a worker thread, where glibc
// would map every large activation afresh (measured 154 against 11.4 ms per image at 300 px).
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
