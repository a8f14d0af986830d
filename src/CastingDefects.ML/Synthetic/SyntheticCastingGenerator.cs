using CastingDefects.ML.IO;
using SkiaSharp;

namespace CastingDefects.ML.Synthetic;

/// <summary>
/// Draws top views of impeller-like castings in gray: a disc with a hub, a shaft hole and curved vanes, under
/// varying position, rotation, lighting and surface texture. Defective images carry one or two defects of the kinds in
/// <see cref="DefectKind"/>; good images carry harmless bright specks and dust, so a single odd pixel is not a defect.
/// Output follows the Kaggle layout (<c>def_front/</c>, <c>ok_front/</c>) and is deterministic from the seed.
/// </summary>
public static class SyntheticCastingGenerator
{
    /// <summary>Name of the defect class folder.</summary>
    public const string DefectFolder = "def_front";

    /// <summary>Name of the good class folder.</summary>
    public const string GoodFolder = "ok_front";

    /// <summary>Writes the dataset under <paramref name="outputFolder"/> and returns the number of files written.</summary>
    public static int Generate(string outputFolder, SyntheticCastingOptions? options = null)
    {
        options ??= new SyntheticCastingOptions();
        if (options.DefectiveCount < 0) throw new ArgumentOutOfRangeException(nameof(options), options.DefectiveCount, "DefectiveCount must not be negative.");
        if (options.GoodCount < 0) throw new ArgumentOutOfRangeException(nameof(options), options.GoodCount, "GoodCount must not be negative.");
        if (options.DefectStrength is < 0.25f or > 4f || float.IsNaN(options.DefectStrength))
            throw new ArgumentOutOfRangeException(nameof(options), options.DefectStrength, "DefectStrength must be between 0.25 and 4.");
        if (options.ImageSize is < 16 or > 2048) throw new ArgumentOutOfRangeException(nameof(options), options.ImageSize, "ImageSize must be between 16 and 2048.");
        string def = Path.Combine(outputFolder, DefectFolder), ok = Path.Combine(outputFolder, GoodFolder);
        Directory.CreateDirectory(def);
        Directory.CreateDirectory(ok);
        int total = options.DefectiveCount + options.GoodCount;
        Parallel.For(0, total, i =>
        {
            bool defective = i < options.DefectiveCount;
            int index = defective ? i : i - options.DefectiveCount;
            using var bitmap = Render(options.Seed, index, defective, options.ImageSize, options.DefectStrength, out _);
            using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, options.JpegQuality);
            string name = defective ? $"cast_def_0_{index}.jpeg" : $"cast_ok_0_{index}.jpeg";
            File.WriteAllBytes(Path.Combine(defective ? def : ok, name), data.ToArray());
        });
        return total;
    }

    /// <summary>Renders one image; the same (seed, index, defective, size) always gives the same pixels.</summary>
    public static SKBitmap Render(int seed, int index, bool defective, int size, float defectStrength, out DefectKind defects)
    {
        var random = new Random(StableSeed.Mix(seed, index, defective ? 1 : 0));
        var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(bitmap);
        float s = size / 300f;

        // Background: the conveyor, darker, with a lighting gradient.
        byte bg = (byte)random.Next(25, 70);
        using (var paint = new SKPaint())
        {
            paint.Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(size, size),
                [Gray(bg + random.Next(0, 25)), Gray(bg)], SKShaderTileMode.Clamp);
            canvas.DrawRect(0, 0, size, size, paint);
        }

        float cx = size / 2f + Jitter(random, 12 * s), cy = size / 2f + Jitter(random, 12 * s);
        float radius = (118 + Jitter(random, 10)) * s;
        byte metal = (byte)random.Next(120, 175);
        float rotation = (float)(random.NextDouble() * 360);
        float lightAngle = (float)(random.NextDouble() * Math.PI * 2);

        using var fill = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
        using var stroke = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke };

        // Disc with a radial lighting gradient offset towards the light.
        var lightCenter = new SKPoint(cx + MathF.Cos(lightAngle) * radius * 0.4f, cy + MathF.Sin(lightAngle) * radius * 0.4f);
        fill.Shader = SKShader.CreateRadialGradient(lightCenter, radius * 1.6f, [Gray(metal + 30), Gray(metal - 25)], SKShaderTileMode.Clamp);
        canvas.DrawCircle(cx, cy, radius, fill);
        fill.Shader = null;

        // Rim edge.
        stroke.StrokeWidth = 3 * s;
        stroke.Color = Gray(metal - 40);
        canvas.DrawCircle(cx, cy, radius - 1.5f * s, stroke);

        // Curved vanes between hub and rim.
        int vanes = random.Next(6, 10);
        stroke.StrokeWidth = (5 + random.Next(0, 3)) * s;
        stroke.StrokeCap = SKStrokeCap.Round;
        for (int v = 0; v < vanes; v++)
        {
            float a = (rotation + v * 360f / vanes) * MathF.PI / 180;
            float r0 = radius * 0.35f, r1 = radius * 0.88f;
            using var path = new SKPath();
            path.MoveTo(cx + MathF.Cos(a) * r0, cy + MathF.Sin(a) * r0);
            float ac = a + 0.35f, a1 = a + 0.6f;
            path.QuadTo(cx + MathF.Cos(ac) * (r0 + r1) / 2, cy + MathF.Sin(ac) * (r0 + r1) / 2, cx + MathF.Cos(a1) * r1, cy + MathF.Sin(a1) * r1);
            stroke.Color = Gray(metal - 30 + random.Next(-8, 8));
            canvas.DrawPath(path, stroke);
            stroke.Color = Gray(metal + 25);
            stroke.StrokeWidth *= 0.35f;
            canvas.DrawPath(path, stroke);
            stroke.StrokeWidth /= 0.35f;
        }

        // Hub and shaft hole.
        fill.Color = Gray(metal + 10);
        canvas.DrawCircle(cx, cy, radius * 0.3f, fill);
        stroke.StrokeWidth = 2 * s;
        stroke.Color = Gray(metal - 35);
        canvas.DrawCircle(cx, cy, radius * 0.3f, stroke);
        fill.Color = Gray(bg / 2);
        canvas.DrawCircle(cx, cy, radius * 0.12f, fill);

        // Harmless distractors on every image: dust specks, single bright pixels, faint scratches.
        int specks = random.Next(2, 8);
        for (int k = 0; k < specks; k++)
        {
            var p = PointOnDisc(random, cx, cy, radius * 0.95f);
            fill.Color = Gray(random.Next(180, 255));
            canvas.DrawCircle(p.X, p.Y, (float)(0.5 + random.NextDouble()) * s, fill);
        }
        if (random.NextDouble() < 0.5)
        {
            var p = PointOnDisc(random, cx, cy, radius * 0.9f);
            stroke.StrokeWidth = 0.6f * s;
            stroke.Color = Gray(metal + 15);
            canvas.DrawLine(p.X, p.Y, p.X + Jitter(random, 25 * s), p.Y + Jitter(random, 25 * s), stroke);
        }

        defects = DefectKind.None;
        if (defective)
        {
            int count = random.NextDouble() < 0.7 ? 1 : 2;
            for (int k = 0; k < count; k++)
            {
                var kind = (DefectKind)(1 << random.Next(0, 5));
                defects |= kind;
                DrawDefect(canvas, random, kind, cx, cy, radius, metal, bg, s * defectStrength, s);
            }
        }

        canvas.Flush();
        AddTexture(bitmap, random);
        return bitmap;
    }

    private static void DrawDefect(SKCanvas canvas, Random random, DefectKind kind, float cx, float cy, float radius, byte metal, byte bg, float k, float s)
    {
        using var fill = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
        using var stroke = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeCap = SKStrokeCap.Round };
        switch (kind)
        {
            case DefectKind.BlowHole:
            {
                var p = PointOnDisc(random, cx, cy, radius * 0.85f, radius * 0.32f);
                float rx = (3 + (float)random.NextDouble() * 5) * k, ry = rx * (0.6f + (float)random.NextDouble() * 0.4f);
                fill.Color = Gray(metal - 90);
                canvas.DrawOval(p.X, p.Y, rx, ry, fill);
                fill.Color = Gray(metal + 40);
                canvas.DrawOval(p.X - rx * 0.3f, p.Y - ry * 0.3f, rx * 0.35f, ry * 0.35f, fill);
                break;
            }
            case DefectKind.Pinholes:
            {
                var c = PointOnDisc(random, cx, cy, radius * 0.8f, radius * 0.35f);
                int n = random.Next(4, 10);
                fill.Color = Gray(metal - 85);
                for (int i = 0; i < n; i++)
                    canvas.DrawCircle(c.X + Jitter(random, 12 * s), c.Y + Jitter(random, 12 * s), (1f + (float)random.NextDouble() * 1.2f) * k, fill);
                break;
            }
            case DefectKind.Crack:
            {
                var p = PointOnDisc(random, cx, cy, radius * 0.85f, radius * 0.3f);
                float angle = (float)(random.NextDouble() * Math.PI * 2);
                using var path = new SKPath();
                path.MoveTo(p);
                int segments = random.Next(4, 9);
                for (int i = 0; i < segments; i++)
                {
                    angle += Jitter(random, 0.7f);
                    float len = (4 + (float)random.NextDouble() * 6) * s;
                    p = new SKPoint(p.X + MathF.Cos(angle) * len, p.Y + MathF.Sin(angle) * len);
                    path.LineTo(p);
                }
                stroke.StrokeWidth = (1.2f + (float)random.NextDouble()) * k;
                stroke.Color = Gray(metal - 80);
                canvas.DrawPath(path, stroke);
                break;
            }
            case DefectKind.Burr:
            {
                float a = (float)(random.NextDouble() * Math.PI * 2);
                using var path = new SKPath();
                float width = (0.08f + (float)random.NextDouble() * 0.08f);
                float height = (5 + (float)random.NextDouble() * 7) * k;
                path.MoveTo(cx + MathF.Cos(a - width) * radius * 0.98f, cy + MathF.Sin(a - width) * radius * 0.98f);
                for (int i = 1; i < 6; i++)
                {
                    float t = a - width + 2 * width * i / 6;
                    float r = radius + height * (0.4f + (float)random.NextDouble() * 0.6f);
                    path.LineTo(cx + MathF.Cos(t) * r, cy + MathF.Sin(t) * r);
                }
                path.LineTo(cx + MathF.Cos(a + width) * radius * 0.98f, cy + MathF.Sin(a + width) * radius * 0.98f);
                path.Close();
                fill.Color = Gray(metal + 35);
                canvas.DrawPath(path, fill);
                break;
            }
            case DefectKind.MissingMaterial:
            {
                float a = (float)(random.NextDouble() * Math.PI * 2);
                float r = (7 + (float)random.NextDouble() * 8) * k;
                fill.Color = Gray(bg + 5);
                canvas.DrawCircle(cx + MathF.Cos(a) * (radius + r * 0.3f), cy + MathF.Sin(a) * (radius + r * 0.3f), r, fill);
                break;
            }
        }
    }

    private static unsafe void AddTexture(SKBitmap bitmap, Random random)
    {
        // Casting surface grain: per-pixel noise, identical in R, G and B (grayscale stored as RGB, like the dataset).
        byte* p = (byte*)bitmap.GetPixels();
        int n = bitmap.Width * bitmap.Height;
        int amplitude = random.Next(6, 14);
        for (int i = 0; i < n; i++, p += 4)
        {
            int v = p[0] + random.Next(-amplitude, amplitude + 1);
            byte b = (byte)Math.Clamp(v, 0, 255);
            p[0] = p[1] = p[2] = b;
        }
    }

    private static SKPoint PointOnDisc(Random random, float cx, float cy, float maxRadius, float minRadius = 0)
    {
        double a = random.NextDouble() * Math.PI * 2;
        double r = minRadius + Math.Sqrt(random.NextDouble()) * (maxRadius - minRadius);
        return new SKPoint(cx + (float)(Math.Cos(a) * r), cy + (float)(Math.Sin(a) * r));
    }

    private static float Jitter(Random random, float amplitude) => (float)((random.NextDouble() * 2 - 1) * amplitude);

    private static SKColor Gray(int v)
    {
        byte b = (byte)Math.Clamp(v, 0, 255);
        return new SKColor(b, b, b);
    }
}
