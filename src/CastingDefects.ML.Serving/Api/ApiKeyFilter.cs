using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace CastingDefects.ML.Serving.Api;

/// <summary>
/// Lets a request through when no key is configured, or when its <c>X-Api-Key</c> header (or <c>Authorization: Bearer</c>)
/// equals the key. Both are hashed first, so the comparison takes the same time whatever the length or content of a wrong key.
/// </summary>
internal sealed class ApiKeyFilter(string? key) : IEndpointFilter
{
    private readonly byte[]? _hash = string.IsNullOrEmpty(key) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (_hash is null || Matches(context.HttpContext.Request)) return next(context);
        context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
        return ValueTask.FromResult<object?>(Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "API key required",
            detail: "This service needs its API key in the X-Api-Key header (or Authorization: Bearer <key>)."));
    }

    internal bool Matches(HttpRequest request)
    {
        string? given = request.Headers["X-Api-Key"].FirstOrDefault();
        if (given is null && request.Headers.Authorization.FirstOrDefault() is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            given = auth["Bearer ".Length..].Trim();
        if (given is null) return false;
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), _hash);
    }
}
