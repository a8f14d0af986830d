namespace CastingDefects.ML.Synthetic;

/// <summary>Kinds of casting defect the synthetic generator draws.</summary>
[Flags]
public enum DefectKind
{
    /// <summary>No defect.</summary>
    None = 0,
    /// <summary>A gas cavity: a dark rounded hole in the surface.</summary>
    BlowHole = 1,
    /// <summary>A cluster of tiny dark pits.</summary>
    Pinholes = 2,
    /// <summary>A thin dark jagged line.</summary>
    Crack = 4,
    /// <summary>Excess bright metal sticking out of the rim.</summary>
    Burr = 8,
    /// <summary>A notch of missing material in the rim.</summary>
    MissingMaterial = 16,
}
