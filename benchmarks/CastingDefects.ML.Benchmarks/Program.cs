using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/CastingDefects.ML.Benchmarks -- --filter '*'            (full suite)
// dotnet run -c Release --project benchmarks/CastingDefects.ML.Benchmarks -- --filter '*' --job short (quick look)
// CASTING_BENCH_DATA=../shared/data/casting/train to preprocess real images instead of synthetic ones.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
