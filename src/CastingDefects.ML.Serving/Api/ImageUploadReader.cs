using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace CastingDefects.ML.Serving.Api;

/// <summary>
/// Reads the images of a prediction request, within <see cref="InspectionOptions"/>'s limits: a raw body
/// (<c>image/*</c> or <c>application/octet-stream</c>) is one image; <c>multipart/form-data</c> holds one or more file
/// parts. The body is counted as it arrives (<see cref="LimitedReadStream"/>), so a client that lies about its length is cut off at the limit.
/// </summary>
internal static class ImageUploadReader
{
    public static async Task<List<ImageUpload>> ReadAsync(HttpRequest request, InspectionOptions options, CancellationToken cancellationToken)
    {
        if (request.ContentLength > options.MaxRequestBytes) throw TooLarge(options);
        string? contentType = request.ContentType;
        if (string.IsNullOrEmpty(contentType))
            throw new ApiProblem(StatusCodes.Status415UnsupportedMediaType, "Missing content type",
                "Send the image as the body with Content-Type image/jpeg, image/png, image/bmp or application/octet-stream, or as multipart/form-data file parts.");
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
            throw new ApiProblem(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type", $"Content-Type '{contentType}' cannot be parsed.");
        var body = new LimitedReadStream(request.Body, options.MaxRequestBytes, () => TooLarge(options));
        if (mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            string boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value ?? "";
            if (boundary.Length == 0 || boundary.Length > 200)
                throw new ApiProblem(StatusCodes.Status400BadRequest, "Invalid multipart body", "The multipart/form-data Content-Type has no valid boundary.");
            var reader = new MultipartReader(boundary, body) { HeadersCountLimit = 16, HeadersLengthLimit = 16 * 1024 };
            var uploads = new List<ImageUpload>();
            MultipartSection? section;
            try
            {
                while ((section = await reader.ReadNextSectionAsync(cancellationToken)) is not null)
                {
                    if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition())
                        continue; // form fields are ignored
                    if (uploads.Count == options.MaxFilesPerRequest)
                        throw new ApiProblem(StatusCodes.Status400BadRequest, "Too many files",
                            $"At most {options.MaxFilesPerRequest} images per request; send the others in another request.");
                    string name = Path.GetFileName(HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "");
                    var bytes = await ReadAllAsync(section.Body, cancellationToken);
                    uploads.Add(new ImageUpload(name.Length == 0 ? $"file {uploads.Count + 1}" : name, bytes));
                }
            }
            catch (InvalidDataException e) // a malformed body, or more section headers than allowed
            {
                throw new ApiProblem(StatusCodes.Status400BadRequest, "Invalid multipart body", e.Message);
            }
            catch (IOException e)
            {
                throw new ApiProblem(StatusCodes.Status400BadRequest, "Invalid multipart body", e.Message);
            }
            if (uploads.Count == 0)
                throw new ApiProblem(StatusCodes.Status400BadRequest, "No image", "The multipart body holds no file part: add the image(s) as file fields.");
            return uploads;
        }
        if (mediaType.MediaType.StartsWith("image/", StringComparison.OrdinalIgnoreCase)
            || mediaType.MediaType.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase))
        {
            var bytes = await ReadAllAsync(body, cancellationToken);
            if (bytes.Length == 0) throw new ApiProblem(StatusCodes.Status400BadRequest, "No image", "The request body is empty.");
            string name = request.Headers["X-File-Name"].FirstOrDefault() is { Length: > 0 } n ? Path.GetFileName(n) : "image";
            return [new ImageUpload(name, bytes)];
        }
        throw new ApiProblem(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type",
            $"Content-Type '{mediaType.MediaType}' is not an image: send image/jpeg, image/png, image/bmp, application/octet-stream or multipart/form-data.");
    }

    private static async Task<byte[]> ReadAllAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    private static ApiProblem TooLarge(InspectionOptions options) => new(StatusCodes.Status413PayloadTooLarge, "Request too large",
        $"The request body is larger than the limit of {options.MaxRequestBytes:N0} bytes (serve --max-request-mb).");
}
