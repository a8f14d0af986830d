using CastingDefects.ML.Quantization;

namespace CastingDefects.ML.Tests;

/// <summary>
/// Percentile calibration's histogram: which ranges it keeps, on values whose bins are known exactly (integer counts
/// and bin edges that are exact in binary, so the results do not depend on the CPU).
/// </summary>
public class ActivationHistogramTests
{
    private static ActivationHistogram OnePerBin(float min, float max)
    {
        var histogram = new ActivationHistogram(min, max);
        float width = (max - min) / ActivationHistogram.Bins;
        histogram.Add(Enumerable.Range(0, ActivationHistogram.Bins).Select(i => min + (i + 0.5f) * width).ToArray());
        return histogram;
    }

    /// <summary>A never-negative activation loses only its upper tail: 0.1 % of 2,048 values is 2.048, so 2 bins go.</summary>
    [Fact]
    public void Never_negative_activations_keep_zero_and_lose_their_upper_tail()
    {
        var histogram = OnePerBin(0, 2048);
        Assert.Equal(2048, histogram.Count);
        Assert.Equal((0f, 2046f), histogram.Percentile(99.9));
        Assert.Equal((0f, 2048f), histogram.Percentile(100));
        Assert.Equal((0f, 2048f), histogram.Percentile(99.99)); // 0.2 values: not one whole bin
    }

    /// <summary>A signed activation gives half the cut from each side: 1 % of 2,048 is 20.48, 10.24 per side, 10 bins each.</summary>
    [Fact]
    public void Signed_activations_lose_both_tails_equally()
    {
        Assert.Equal((-1014f, 1014f), OnePerBin(-1024, 1024).Percentile(99));
    }

    /// <summary>
    /// The case the method exists for: 10,000 values in [0, 1) and one outlier at 100. MinMax would spread 256 steps
    /// over [0, 100] (a step of 0.39, coarser than the common values' whole spread of 1); keeping 99.99 % drops the
    /// outlier and ends the range at the first bin edge above 1 (bins of 100 / 2,048).
    /// </summary>
    [Fact]
    public void A_rare_outlier_is_clipped_and_the_common_values_keep_their_range()
    {
        var histogram = new ActivationHistogram(0, 100);
        histogram.Add(Enumerable.Range(0, 10_000).Select(i => i / 10_000f).ToArray());
        histogram.Add([100f]);
        var (min, max) = histogram.Percentile(99.99);
        Assert.Equal(0f, min);
        Assert.Equal(21 * 100.0 / 2048, max, 5); // 1 lies in bin 20 (20.48 bins of 1 / 0.0488)
        Assert.Equal((0f, 100f), histogram.Percentile(99.999)); // 0.1 of a value: the outlier stays
    }

    /// <summary>Values outside the range count in the end bins; a constant activation keeps its single value; bad percentages are refused.</summary>
    [Fact]
    public void Edge_cases()
    {
        var histogram = new ActivationHistogram(0, 8);
        histogram.Add([-1f, 9f, 4f]);
        Assert.Equal(3, histogram.Count);
        Assert.Equal((0f, 8f), histogram.Percentile(99));

        var constant = new ActivationHistogram(2, 2);
        constant.Add([2f, 2f]);
        Assert.Equal((2f, 2f), constant.Percentile(50));
        Assert.Equal((0f, 0f), new ActivationHistogram(0, 0).Percentile(90));

        Assert.Throws<ArgumentOutOfRangeException>(() => histogram.Percentile(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => histogram.Percentile(100.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => histogram.Percentile(double.NaN));
    }
}
