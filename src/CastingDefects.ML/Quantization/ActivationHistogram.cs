namespace CastingDefects.ML.Quantization;

/// <summary>
/// The distribution of one activation over the calibration images: counts in equal bins over its MinMax range, from
/// which <see cref="CalibrationMethod.Percentile"/> reads the range that keeps a given share of the values.
/// </summary>
internal sealed class ActivationHistogram
{
    /// <summary>Bins per activation, as in ONNX Runtime's histogram calibrators.</summary>
    public const int Bins = 2048;

    private readonly long[] _counts = new long[Bins];
    private readonly float _min, _max;
    private readonly double _width;

    /// <summary>A histogram over [<paramref name="min"/>, <paramref name="max"/>], the activation's MinMax range.</summary>
    public ActivationHistogram(float min, float max)
    {
        _min = min;
        _max = max;
        _width = max > min ? ((double)max - min) / Bins : 0;
    }

    /// <summary>Values counted so far.</summary>
    public long Count { get; private set; }

    /// <summary>Counts <paramref name="values"/> (values outside the range go to the end bins).</summary>
    public void Add(ReadOnlySpan<float> values)
    {
        if (_width == 0)
        {
            _counts[0] += values.Length;
        }
        else
        {
            double scale = 1 / _width;
            foreach (float v in values)
                _counts[Math.Clamp((int)((v - (double)_min) * scale), 0, Bins - 1)]++;
        }
        Count += values.Length;
    }

    /// <summary>
    /// The range that keeps <paramref name="percentile"/> percent of the counted values: only the upper tail is cut when
    /// the activation is never negative, each tail gives half otherwise. Ends fall on bin edges and stay inside the
    /// MinMax range.
    /// </summary>
    public (float Min, float Max) Percentile(double percentile)
    {
        if (percentile is not (> 0 and <= 100)) throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "A percentage in (0, 100].");
        if (_width == 0 || Count == 0 || percentile == 100) return (_min, _max);
        double cut = Count * (100 - percentile) / 100;
        double cutLow = _min >= 0 ? 0 : cut / 2, cutHigh = cut - cutLow;

        int low = 0;
        for (long below = 0; low < Bins - 1 && below + _counts[low] <= cutLow; low++) below += _counts[low];
        int high = Bins - 1;
        for (long above = 0; high > low && above + _counts[high] <= cutHigh; high--) above += _counts[high];
        float min = low == 0 ? _min : (float)(_min + low * _width);
        float max = high == Bins - 1 ? _max : (float)(_min + (high + 1) * _width);
        return (min, max);
    }
}
