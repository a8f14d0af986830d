using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace CastingDefects.ML.Runtime;

/// <summary>
/// Every use of ML.NET's non-public surface in this library, in one place. ML.NET's own extension packages reach the
/// environment behind a catalog through <c>CatalogUtils.GetEnvironment</c>, which is internal to ML.NET; this class does
/// the same by reflection so that the library's catalog methods (<c>mlContext.BinaryClassification.Trainers.CastingCnn</c>,
/// <c>mlContext.Model.LoadCastingModel</c>, …) use the caller's context: its seed, its <c>Log</c> and its
/// <c>CancelExecution</c>. <see cref="Verify"/> touches every member; a test calls it, so an ML.NET update that moves
/// one of them fails that test by name instead of failing users at run time.
/// </summary>
internal static class MLNetInternals
{
    private const string InternalCatalog = "Microsoft.ML.Data.IInternalCatalog";
    private const string Cancelable = "Microsoft.ML.Runtime.ICancelable";
    private const string EnvironmentInternal = "Microsoft.ML.Runtime.IHostEnvironmentInternal";

    /// <summary>The environment of a catalog (<c>IInternalCatalog.Environment</c>): the <see cref="MLContext"/>'s own.</summary>
    public static IHostEnvironment Environment(object catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var property = catalog.GetType().GetInterfaces().FirstOrDefault(i => i.FullName == InternalCatalog)?.GetProperty("Environment")
            ?? throw Changed($"{catalog.GetType().Name} no longer implements {InternalCatalog}.Environment");
        return property.GetValue(catalog) as IHostEnvironment ?? throw Changed($"{InternalCatalog}.Environment returned no IHostEnvironment");
    }

    /// <summary>The transforms catalog of <paramref name="environment"/> (the context's own when it is an <see cref="MLContext"/>).</summary>
    public static TransformsCatalog Transforms(IHostEnvironment environment) =>
        environment is MLContext context ? context.Transforms : Create<TransformsCatalog>(environment);

    /// <summary>The data catalog of <paramref name="environment"/> (the context's own when it is an <see cref="MLContext"/>).</summary>
    public static DataOperationsCatalog Data(IHostEnvironment environment) =>
        environment is MLContext context ? context.Data : Create<DataOperationsCatalog>(environment);

    /// <summary>The seed the context was created with (<c>new MLContext(seed: 7)</c>), or null when it was not given.</summary>
    public static int? Seed(IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var property = Interface(environment, EnvironmentInternal)?.GetProperty("Seed")
            ?? throw Changed($"{environment.GetType().Name} no longer implements {EnvironmentInternal}.Seed");
        return (int?)property.GetValue(environment);
    }

    /// <summary>True once <c>mlContext.CancelExecution()</c> was called.</summary>
    public static bool IsCanceled(IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var property = Interface(environment, Cancelable)?.GetProperty("IsCanceled")
            ?? throw Changed($"{environment.GetType().Name} no longer implements {Cancelable}.IsCanceled");
        return (bool)property.GetValue(environment)!;
    }

    /// <summary>Touches every member above on a fresh context; throws naming the one that changed.</summary>
    public static void Verify()
    {
        var context = new MLContext(seed: 7);
        var environment = Environment(context.BinaryClassification.Trainers);
        if (Seed(environment) != 7) throw Changed("the environment does not report the context's seed");
        if (IsCanceled(environment)) throw Changed("a new context reports itself cancelled");
        _ = Environment(context.Model).ComponentCatalog;
        _ = Create<TransformsCatalog>(environment);
        _ = Create<DataOperationsCatalog>(environment);
    }

    private static Type? Interface(object instance, string fullName) =>
        instance.GetType().GetInterfaces().FirstOrDefault(i => i.FullName == fullName);

    private static T Create<T>(IHostEnvironment environment)
    {
        var constructor = typeof(T).GetConstructor(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public, [typeof(IHostEnvironment)])
            ?? throw Changed($"{typeof(T).Name} has no constructor taking an IHostEnvironment");
        return (T)constructor.Invoke([environment]);
    }

    private static InvalidOperationException Changed(string what) => new(
        $"This version of ML.NET ({typeof(MLContext).Assembly.GetName().Version}) differs from the one CastingDefects.ML was built for: {what}. " +
        "Use the Microsoft.ML version the CastingDefects.ML package depends on.");
}
