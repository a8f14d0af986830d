namespace CastingDefects.ML.Serving.Api;

/// <summary>A request the API refuses: becomes an RFC 7807 ProblemDetails response with this status.</summary>
internal sealed class ApiProblem(int status, string title, string detail) : Exception(detail)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
}
