using CastingDefects.ML.IO;
using SkiaSharp;

namespace CastingDefects.ML.Synthetic;

/// <summary>
/// Draws top views of pump-impeller castings in gray, laid out as in the Kaggle photographs: a light table, a turned
/// metal flange with an angle-dependent sheen, a groove, the dark impeller cavity with spiral vanes, a bright hub and the
/// shaft hole, under varying position, lighting and surface grain. Defective images carry one or two defects of the
/// kinds in <see cref="DefectKind"/> (pits, pinholes, cracks from the rim, flash on the rim, bites out of the rim),
/// sized to stay visible at 128 x 128; good images carry faint scratches and smudges, so a mark alone is not a defect.
/// Output follows the Kaggle layout (<c>def_front/</c>, <c>ok_front/</c>) and is deterministic from the seed.
/// </summary>
public static class SyntheticCastingGenerator
{
    /// <summary>Name of the defect class folder.</summary>
    public const string DefectFolder = "def_front";

    /// <summary>Name of the good class folder.</summary>
    public const string GoodFolder = "ok_front";

    /// <summary>
    /// Version of the drawing: part of <see cref="BuiltInDataset"/>'s folder name, so that a dataset cached by an older
    /// version of the library is not reused after the drawing changed.
    /// </summary>
    public const int DrawingVersion = 2;

    /// <summary>
    /// The built-in default dataset (the <see cref="SyntheticCastingOptions"/> defaults with this seed), written once into
    /// the temporary folder and reused: the data of <c>casting-defects train</c> and the samples when no data is given.
    /// It is written into a scratch folder and renamed when complete, so an interrupted run never leaves a partial set
    /// that a later run would take for the whole.
    /// </summary>
    /// <returns>The folder (with <c>def_front/</c> and <c>ok_front/</c>).</returns>
    public static string BuiltInDataset(int seed = 42, string? parentFolder = null)
    {
        var options = new SyntheticCastingOptions { Seed = seed };
        string folder = Path.Combine(parentFolder ?? Path.GetTempPath(),
            $"casting-defects-synthetic-v{DrawingVersion}-{options.DefectiveCount}x{options.GoodCount}-{options.ImageSize}px-seed{seed}");
        if (Directory.Exists(folder)) return folder;
        string scratch = $"{folder}.{Environment.ProcessId}.tmp";
        if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        Generate(scratch, options);
        try
        {
            Directory.Move(scratch, folder);
        }
        catch (IOException) when (Directory.Exists(folder))
        {
            Directory.Delete(scratch, recursive: true);   // another process finished the same set first
        }
        return folder;
    }

    /// <summary>Writes the dataset under <paramref name="outputFolder"/> and returns the number of files written.</summary>
    public static int Generate(string outputFolder, SyntheticCastingOptions? options = null)
    {
        options ??= new SyntheticCastingOptions();
        if (options.DefectiveCount < 0) throw new ArgumentOutOfRangeException(nameof(options), options.DefectiveCount, "DefectiveCount must not be negative.");
        if (options.GoodCount < 0) throw new ArgumentOutOfRangeException(nameof(options), options.GoodCount, "GoodCount must not be negative.");
        Validate(options);
        string def = Path.Combine(outputFolder, DefectFolder), ok = Path.Combine(outputFolder, GoodFolder);
        Directory.CreateDirectory(def);
        Directory.CreateDirectory(ok);
        int total = options.DefectiveCount + options.GoodCount;
        Parallel.For(0, total, i =>
        {
            bool defective = i < options.DefectiveCount;
            int index = defective ? i : i - options.DefectiveCount;
            string name = defective ? $"cast_def_0_{index}.jpeg" : $"cast_ok_0_{index}.jpeg";
            Write(options, index, defective, Path.Combine(defective ? def : ok, name));
        });
        return total;
    }

    /// <summary>The class folders of <see cref="GenerateByKind"/>: good first, then one per single defect kind.</summary>
    public static IReadOnlyList<(string Folder, DefectKind Kind)> KindFolders { get; } =
    [
        ("ok", DefectKind.None), ("blow_hole", DefectKind.BlowHole), ("pinholes", DefectKind.Pinholes), ("crack", DefectKind.Crack),
        ("burr", DefectKind.Burr), ("missing_material", DefectKind.MissingMaterial),
    ];

    /// <summary>
    /// Writes a six-class dataset: <paramref name="perClass"/> images in each of <see cref="KindFolders"/> (good
    /// castings, and castings that carry exactly one defect, of that kind), for multiclass training and tests
    /// (<see cref="SyntheticCastingOptions.DefectiveCount"/> and <see cref="SyntheticCastingOptions.GoodCount"/> are
    /// not used). Deterministic from the seed. Returns the number of files written.
    /// </summary>
    public static int GenerateByKind(string outputFolder, int perClass, SyntheticCastingOptions? options = null)
    {
        options ??= new SyntheticCastingOptions();
        if (perClass < 1) throw new ArgumentOutOfRangeException(nameof(perClass), perClass, "perClass must be at least 1.");
        Validate(options);
        foreach (var (folder, _) in KindFolders) Directory.CreateDirectory(Path.Combine(outputFolder, folder));
        Parallel.For(0, perClass, i => Write(options, i, defective: false, Path.Combine(outputFolder, KindFolders[0].Folder, $"ok_{i}.jpeg")));
        // Defective renders are drawn in index order and each goes to its kind's folder while that folder has room;
        // renders with two defects are skipped. Chunks render in parallel, the assignment stays in index order.
        var written = KindFolders.Skip(1).ToDictionary(k => k.Kind, _ => 0);
        const int chunk = 32;
        for (int start = 0; written.Values.Any(n => n < perClass); start += chunk)
        {
            if (start > perClass * 200) throw new InvalidOperationException("The generator drew too few single-defect castings."); // cannot happen with the drawing's odds
            var kinds = new DefectKind[chunk];
            var jpegs = new byte[chunk][];
            Parallel.For(0, chunk, j => jpegs[j] = Encode(options, start + j, defective: true, out kinds[j]));
            for (int j = 0; j < chunk; j++)
            {
                if (!written.TryGetValue(kinds[j], out int n) || n >= perClass) continue;
                string folder = KindFolders.First(k => k.Kind == kinds[j]).Folder;
                File.WriteAllBytes(Path.Combine(outputFolder, folder, $"{folder}_{start + j}.jpeg"), jpegs[j]);
                written[kinds[j]] = n + 1;
            }
        }
        return perClass * KindFolders.Count;
    }

    private static void Validate(SyntheticCastingOptions options)
    {
        if (options.DefectStrength is < 0.25f or > 4f || float.IsNaN(options.DefectStrength))
            throw new ArgumentOutOfRangeException(nameof(options), options.DefectStrength, "DefectStrength must be between 0.25 and 4.");
        if (options.ImageSize is < 16 or > 2048) throw new ArgumentOutOfRangeException(nameof(options), options.ImageSize, "ImageSize must be between 16 and 2048.");
    }

    private static void Write(SyntheticCastingOptions options, int index, bool defective, string path) =>
        File.WriteAllBytes(path, Encode(options, index, defective, out _));

    private static byte[] Encode(SyntheticCastingOptions options, int index, bool defective, out DefectKind defects)
    {
        using var bitmap = Render(options.Seed, index, defective, options.ImageSize, options.DefectStrength, out defects);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, options.JpegQuality);
        return data.ToArray();
    }

    /// <summary>Renders one image; the same (seed, index, defective, size) always gives the same pixels.</summary>
    public static SKBitmap Render(int seed, int index, bool defective, int size, float defectStrength, out DefectKind defects)
    {
        var casting = RenderCasting(seed, index, defective, size, defectStrength);
        defects = casting.Defects;
        return casting.Bitmap;
    }

    /// <summary>
    /// Renders one image and says where its defects are (<see cref="SyntheticCasting.DefectRegions"/>, as fractions of
    /// the image size): the ground truth for checking heatmaps and anomaly maps.
    /// </summary>
    public static SyntheticCasting RenderCasting(int seed, int index, bool defective, int size, float defectStrength = 1f)
    {
        var random = new Random(StableSeed.Mix(seed, index, defective ? 1 : 0));
        var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(bitmap);
        float s = size / 300f;

        // Background: the light, slightly mottled table of the Kaggle photos, with a lighting gradient.
        int bg = random.Next(160, 200);
        float light = (float)(random.NextDouble() * Math.PI * 2);
        using (var paint = new SKPaint { IsAntialias = true })
        {
            var (l0, l1) = (new SKPoint(size / 2f - MathF.Cos(light) * size, size / 2f - MathF.Sin(light) * size),
                            new SKPoint(size / 2f + MathF.Cos(light) * size, size / 2f + MathF.Sin(light) * size));
            paint.Shader = SKShader.CreateLinearGradient(l0, l1, [Gray(bg - 18), Gray(bg + 12)], SKShaderTileMode.Clamp);
            canvas.DrawRect(0, 0, size, size, paint);
            paint.Shader = null;
            paint.Style = SKPaintStyle.Stroke;
            for (int k = random.Next(3, 7); k > 0; k--)
            {
                paint.StrokeWidth = (4 + random.Next(0, 10)) * s;
                paint.Color = Gray(bg + random.Next(-10, 10)).WithAlpha(60);
                float r = (40 + random.Next(0, 260)) * s;
                canvas.DrawCircle(random.Next(0, size), random.Next(0, size), r, paint);
            }
        }

        float cx = size / 2f + Jitter(random, 10 * s), cy = size / 2f + Jitter(random, 10 * s);
        float radius = (118 + Jitter(random, 6)) * s;
        int metal = random.Next(150, 185);

        using var fill = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
        using var stroke = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke };

        // Soft shadow under the part, towards the side away from the light.
        float sx = -MathF.Cos(light) * 4 * s, sy = -MathF.Sin(light) * 4 * s;
        fill.Shader = SKShader.CreateRadialGradient(new SKPoint(cx + sx, cy + sy), radius + 9 * s,
            [new SKColor(0, 0, 0, 70), new SKColor(0, 0, 0, 70), new SKColor(0, 0, 0, 0)], [0f, radius / (radius + 9 * s), 1f], SKShaderTileMode.Clamp);
        canvas.DrawCircle(cx + sx, cy + sy, radius + 9 * s, fill);
        fill.Shader = null;

        // The flange: turned metal whose sheen depends on the angle (a sweep gradient), with fine concentric tool marks.
        float sweep = (float)(random.NextDouble() * 360);
        fill.Shader = SKShader.CreateSweepGradient(new SKPoint(cx, cy),
            [Gray(metal + 45), Gray(metal - 20), Gray(metal + 30), Gray(metal - 30), Gray(metal + 45)], null,
            SKMatrix.CreateRotationDegrees(sweep, cx, cy));
        canvas.DrawCircle(cx, cy, radius, fill);
        fill.Shader = null;
        stroke.StrokeWidth = 0.7f * s;
        for (float r = radius * 0.66f; r < radius * 0.98f; r += (2 + random.Next(0, 4)) * s)
        {
            stroke.Color = Gray(metal + random.Next(-25, 25)).WithAlpha(70);
            canvas.DrawCircle(cx, cy, r, stroke);
        }
        stroke.StrokeWidth = 1.6f * s;
        stroke.Color = Gray(metal - 60);
        canvas.DrawCircle(cx, cy, radius - 0.8f * s, stroke);

        // Groove, inner lip, the dark impeller cavity with its spiral vanes, the bright hub and the shaft hole.
        stroke.StrokeWidth = 3 * s;
        stroke.Color = Gray(random.Next(35, 60));
        canvas.DrawCircle(cx, cy, radius * 0.645f, stroke);
        fill.Color = Gray(metal + 20);
        canvas.DrawCircle(cx, cy, radius * 0.62f, fill);
        int cavity = random.Next(22, 45);
        fill.Color = Gray(cavity);
        canvas.DrawCircle(cx, cy, radius * 0.565f, fill);
        int vanes = random.Next(6, 10);
        float rotation = (float)(random.NextDouble() * Math.PI * 2);
        stroke.StrokeWidth = 3.5f * s;
        stroke.StrokeCap = SKStrokeCap.Round;
        for (int v = 0; v < vanes; v++)
        {
            float a = rotation + v * MathF.PI * 2 / vanes, r0 = radius * 0.34f, r1 = radius * 0.54f;
            using var path = new SKPath();
            path.MoveTo(cx + MathF.Cos(a) * r0, cy + MathF.Sin(a) * r0);
            path.QuadTo(cx + MathF.Cos(a + 0.5f) * (r0 + r1) / 2, cy + MathF.Sin(a + 0.5f) * (r0 + r1) / 2,
                        cx + MathF.Cos(a + 0.9f) * r1, cy + MathF.Sin(a + 0.9f) * r1);
            stroke.Color = Gray(cavity + random.Next(12, 28));
            canvas.DrawPath(path, stroke);
        }
        int hub = Math.Min(235, metal + random.Next(25, 50));
        fill.Shader = SKShader.CreateRadialGradient(new SKPoint(cx + MathF.Cos(light) * radius * 0.1f, cy + MathF.Sin(light) * radius * 0.1f),
            radius * 0.4f, [Gray(hub + 10), Gray(hub - 35)], SKShaderTileMode.Clamp);
        canvas.DrawCircle(cx, cy, radius * 0.33f, fill);
        fill.Shader = null;
        stroke.StrokeWidth = 1.5f * s;
        stroke.Color = Gray(hub - 70);
        canvas.DrawCircle(cx, cy, radius * 0.33f, stroke);
        fill.Color = Gray(bg - random.Next(15, 45));
        canvas.DrawCircle(cx, cy, radius * 0.215f, fill);
        stroke.Color = Gray(hub - 60);
        canvas.DrawCircle(cx, cy, radius * 0.215f, stroke);

        // Harmless marks on every part: faint scratches and low-contrast smudges, so a mark alone is not a defect.
        for (int k = random.Next(0, 4); k > 0; k--)
        {
            var p = PointOnDisc(random, cx, cy, radius * 0.95f, radius * 0.68f);
            stroke.StrokeWidth = 0.6f * s;
            stroke.Color = Gray(metal + random.Next(-20, 20)).WithAlpha(120);
            canvas.DrawLine(p.X, p.Y, p.X + Jitter(random, 18 * s), p.Y + Jitter(random, 18 * s), stroke);
        }
        for (int k = random.Next(0, 3); k > 0; k--)
        {
            var p = PointOnDisc(random, cx, cy, radius * 0.93f, radius * 0.7f);
            fill.Color = Gray(metal + random.Next(-15, 15)).WithAlpha(90);
            canvas.DrawCircle(p.X, p.Y, (2 + (float)random.NextDouble() * 3) * s, fill);
        }

        var kinds = DefectKind.None;
        var regions = new List<SKRect>();
        if (defective)
        {
            int count = 1 + (random.NextDouble() < 0.45 ? 1 : 0) + (random.NextDouble() < 0.2 ? 1 : 0);
            for (int k = 0; k < count; k++)
            {
                // Flash on the rim is the commonest defect of the Kaggle set; pits, pinholes, cracks and bites share the rest.
                double draw = random.NextDouble();
                var kind = draw < 0.35 ? DefectKind.Burr : draw < 0.55 ? DefectKind.BlowHole : draw < 0.7 ? DefectKind.Pinholes
                    : draw < 0.85 ? DefectKind.Crack : DefectKind.MissingMaterial;
                kinds |= kind;
                var box = DrawDefect(canvas, random, kind, cx, cy, radius, metal, bg, s * defectStrength, s);
                regions.Add(new SKRect(Math.Max(0, box.Left / size), Math.Max(0, box.Top / size), Math.Min(1, box.Right / size), Math.Min(1, box.Bottom / size)));
            }
        }

        canvas.Flush();
        AddTexture(bitmap, random);
        return new SyntheticCasting(bitmap, kinds, regions);
    }

    /// <summary>Draws one defect and returns its bounding box in pixels.</summary>
    private static SKRect DrawDefect(SKCanvas canvas, Random random, DefectKind kind, float cx, float cy, float radius, int metal, int bg, float k, float s)
    {
        using var fill = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
        using var stroke = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeCap = SKStrokeCap.Round };
        switch (kind)
        {
            case DefectKind.BlowHole:
            {
                // A gas cavity in the flange: a dark pit with a bright lip on the lit side.
                var p = PointOnDisc(random, cx, cy, radius * 0.93f, radius * 0.7f);
                float rx = (5.5f + (float)random.NextDouble() * 4) * k, ry = rx * (0.6f + (float)random.NextDouble() * 0.4f);
                fill.Color = Gray(metal + 50);
                canvas.DrawOval(p.X - rx * 0.25f, p.Y - ry * 0.25f, rx * 1.1f, ry * 1.1f, fill);
                fill.Color = Gray(random.Next(15, 50));
                canvas.DrawOval(p.X, p.Y, rx, ry, fill);
                return new SKRect(p.X - rx * 1.4f, p.Y - ry * 1.4f, p.X + rx * 1.1f, p.Y + ry * 1.1f);
            }
            case DefectKind.Pinholes:
            {
                var c = PointOnDisc(random, cx, cy, radius * 0.9f, radius * 0.72f);
                var box = new SKRect(c.X, c.Y, c.X, c.Y);
                for (int i = random.Next(4, 9); i > 0; i--)
                {
                    float x = c.X + Jitter(random, 10 * s), y = c.Y + Jitter(random, 10 * s), r = (2.2f + (float)random.NextDouble() * 1.2f) * k;
                    fill.Color = Gray(random.Next(20, 60));
                    canvas.DrawCircle(x, y, r, fill);
                    box.Union(new SKRect(x - r, y - r, x + r, y + r));
                }
                return box;
            }
            case DefectKind.Crack:
            {
                // A jagged dark line running in from the rim.
                float a = (float)(random.NextDouble() * Math.PI * 2);
                var p = new SKPoint(cx + MathF.Cos(a) * radius * 0.99f, cy + MathF.Sin(a) * radius * 0.99f);
                float angle = a + MathF.PI + Jitter(random, 0.5f);
                var box = new SKRect(p.X, p.Y, p.X, p.Y);
                using var path = new SKPath();
                path.MoveTo(p);
                for (int i = random.Next(5, 9); i > 0; i--)
                {
                    angle += Jitter(random, 0.6f);
                    float len = (5 + (float)random.NextDouble() * 4) * s;
                    p = new SKPoint(p.X + MathF.Cos(angle) * len, p.Y + MathF.Sin(angle) * len);
                    path.LineTo(p);
                    box.Union(new SKRect(p.X, p.Y, p.X, p.Y));
                }
                stroke.StrokeWidth = (2.8f + (float)random.NextDouble()) * k;
                stroke.Color = Gray(random.Next(20, 55));
                canvas.DrawPath(path, stroke);
                box.Inflate(stroke.StrokeWidth, stroke.StrokeWidth);
                return box;
            }
            case DefectKind.Burr:
            {
                // Flash: a ragged dark fringe of excess metal along an arc of the rim, as on most defective parts of
                // the Kaggle set (from a short burr to a third of the circumference).
                float a = (float)(random.NextDouble() * Math.PI * 2);
                float width = 0.22f + (float)Math.Pow(random.NextDouble(), 2) * 1.0f;
                float height = (5 + (float)random.NextDouble() * 5) * k;
                int steps = Math.Max(6, (int)(width * radius / (2.5f * s)));
                using var path = new SKPath();
                var start = new SKPoint(cx + MathF.Cos(a - width) * radius * 0.98f, cy + MathF.Sin(a - width) * radius * 0.98f);
                var box = new SKRect(start.X, start.Y, start.X, start.Y);
                path.MoveTo(start);
                for (int i = 1; i < steps; i++)
                {
                    float t = a - width + 2 * width * i / steps;
                    float taper = MathF.Sin(MathF.PI * i / steps);
                    float r = radius + height * taper * (0.2f + (float)random.NextDouble() * 0.8f);
                    var q = new SKPoint(cx + MathF.Cos(t) * r, cy + MathF.Sin(t) * r);
                    path.LineTo(q);
                    box.Union(new SKRect(q.X, q.Y, q.X, q.Y));
                }
                var end = new SKPoint(cx + MathF.Cos(a + width) * radius * 0.98f, cy + MathF.Sin(a + width) * radius * 0.98f);
                path.LineTo(end);
                box.Union(new SKRect(end.X, end.Y, end.X, end.Y));
                // The arc back along the rim, so a wide flash hugs the part instead of cutting its chord.
                for (int i = steps - 1; i > 0; i--)
                {
                    float t = a - width + 2 * width * i / steps;
                    path.LineTo(cx + MathF.Cos(t) * radius * 0.97f, cy + MathF.Sin(t) * radius * 0.97f);
                }
                path.Close();
                fill.Color = Gray(random.Next(35, 80));
                canvas.DrawPath(path, fill);
                stroke.StrokeWidth = 1.2f * s;
                stroke.Color = Gray(metal - 80);
                canvas.DrawPath(path, stroke);
                box.Inflate(stroke.StrokeWidth, stroke.StrokeWidth);
                return box;
            }
            default:
            {
                // Missing material: a ragged bite out of the rim that shows the table, with a dark fracture edge.
                float a = (float)(random.NextDouble() * Math.PI * 2);
                float r = (10 + (float)random.NextDouble() * 6) * k;
                var c = new SKPoint(cx + MathF.Cos(a) * (radius + r * 0.1f), cy + MathF.Sin(a) * (radius + r * 0.1f));
                using var path = new SKPath();
                const int Points = 14;
                for (int i = 0; i < Points; i++)
                {
                    float t = i * MathF.PI * 2 / Points, ri = r * (0.7f + (float)random.NextDouble() * 0.45f);
                    var q = new SKPoint(c.X + MathF.Cos(t) * ri, c.Y + MathF.Sin(t) * ri);
                    if (i == 0) path.MoveTo(q); else path.LineTo(q);
                }
                path.Close();
                fill.Color = Gray(bg - 25);
                canvas.DrawPath(path, fill);
                // The fracture surface: the part of the outline that lies on the metal.
                canvas.Save();
                using (var disc = new SKPath())
                {
                    disc.AddCircle(cx, cy, radius);
                    canvas.ClipPath(disc, antialias: true);
                    stroke.StrokeWidth = 3.5f * s;
                    stroke.Color = Gray(random.Next(25, 50));
                    canvas.DrawPath(path, stroke);
                }
                canvas.Restore();
                return new SKRect(c.X - r * 1.15f, c.Y - r * 1.15f, c.X + r * 1.15f, c.Y + r * 1.15f);
            }
        }
    }

    private static unsafe void AddTexture(SKBitmap bitmap, Random random)
    {
        // Surface grain: per-pixel noise, identical in R, G and B (grayscale stored as RGB, like the dataset).
        byte* p = (byte*)bitmap.GetPixels();
        int n = bitmap.Width * bitmap.Height;
        int amplitude = random.Next(3, 8);
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
