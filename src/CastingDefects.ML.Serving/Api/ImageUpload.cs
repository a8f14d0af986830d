namespace CastingDefects.ML.Serving.Api;

/// <summary>One image of a request: its name (the multipart file name, or "image" for a raw body) and its bytes.</summary>
internal sealed record ImageUpload(string Name, ReadOnlyMemory<byte> Bytes);
