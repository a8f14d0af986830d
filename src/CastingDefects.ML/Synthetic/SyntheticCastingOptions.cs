namespace CastingDefects.ML.Synthetic;

/// <summary>Settings of <see cref="SyntheticCastingGenerator"/>.</summary>
public sealed class SyntheticCastingOptions
{
    /// <summary>Number of defective images (folder <c>def_front</c>); the default keeps the Kaggle set's 57 % defects.</summary>
    public int DefectiveCount { get; set; } = 1140;

    /// <summary>Number of good images (folder <c>ok_front</c>).</summary>
    public int GoodCount { get; set; } = 860;

    /// <summary>Width and height in pixels (default 300, as the Kaggle images).</summary>
    public int ImageSize { get; set; } = 300;

    /// <summary>Seed: the same seed writes the same bytes.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>JPEG quality 1..100 (default 90).</summary>
    public int JpegQuality { get; set; } = 90;

    /// <summary>How visible defects are, 0.5 (subtle) to 2 (obvious); default 1.</summary>
    public float DefectStrength { get; set; } = 1f;
}
