using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CastingDefects.ML.Inference.Int8;

/// <summary>
/// One quantized convolution of an <see cref="Int8Network"/>, with its ReLU and an optional 2x2 max-pooling fused in:
/// uint8 activations stored channels last (height x width x channels), int8 weights per output channel, exact int32
/// sums, and one requantization to uint8 per output value. Valid padding, stride 1, one group: the plain convolutions
/// of the paper's CNN and networks like it.
/// </summary>
/// <remarks>
/// The sums run on VPDPBUSD (AVX-VNNI: four uint8 x int8 products added to an int32, eight output channels per
/// instruction) where the CPU has it, and on a portable loop elsewhere; both give the same integers, and the
/// requantization is the same element-wise float arithmetic in both, so the result does not depend on the CPU.
/// The reduction runs along memory: in channels-last layout one kernel row of a window is <c>kernel width x channels</c>
/// consecutive bytes, taken four at a time (a remainder reads up to three bytes beyond, whose weights are zero), so a
/// one-channel first layer is as dense as the sixteen-channel ones. Pooling takes the maximum of the four int32 sums:
/// the requantization is non-decreasing, so this equals pooling the requantized values.
/// </remarks>
internal sealed class Int8Convolution
{
    /// <summary>Bytes an activation buffer needs beyond its values: the last window's remainder reads up to three.</summary>
    public const int Slack = 4;

    private const int Lanes = 8; // output channels per VPDPBUSD on 256-bit registers

    private readonly sbyte[] _packed;    // [kernel row][group of 4 bytes][block of 8 output channels][8 lanes x 4 bytes]
    private readonly int[] _offset;      // per output channel (padded to the block): bias - input zero point x weight sum
    private readonly float[] _multiplier; // per output channel: input scale x weight scale / output scale
    private readonly int _groups, _blocks;
    private readonly nint _o1, _o2, _o3;  // byte offsets of a tile's other three windows: a 2x2 pooling window, or the next three in a row
    private readonly nint _rowBytes, _blockStride; // bytes per input row; packed bytes per group (all blocks)
    private readonly int _lowest;        // the smallest output: the zero point after a ReLU, 0 otherwise
    private readonly int _outputZero;

    /// <summary>
    /// A convolution with ONNX-layout int8 <paramref name="weights"/> [out, in, kernel height, kernel width], int32
    /// <paramref name="bias"/> in units of input scale x weight scale, and the requantization of its output.
    /// </summary>
    public Int8Convolution(int inputChannels, int inputHeight, int inputWidth, int kernelHeight, int kernelWidth, sbyte[] weights, int[] bias,
        byte inputZero, float[] multiplier, byte outputZero, bool relu, bool pool)
    {
        int outputChannels = bias.Length;
        if (weights.Length != outputChannels * inputChannels * kernelHeight * kernelWidth || multiplier.Length != outputChannels)
            throw new ArgumentException("Weights, bias and scales do not match the convolution's shape.");
        InputChannels = inputChannels; InputHeight = inputHeight; InputWidth = inputWidth;
        KernelHeight = kernelHeight; KernelWidth = kernelWidth; OutputChannels = outputChannels;
        Relu = relu; Pool = pool;
        ConvolvedHeight = inputHeight - kernelHeight + 1;
        ConvolvedWidth = inputWidth - kernelWidth + 1;
        if (ConvolvedHeight < (pool ? 2 : 1) || ConvolvedWidth < (pool ? 2 : 1))
            throw new ArgumentException($"A {kernelHeight}x{kernelWidth} kernel does not fit a {inputHeight}x{inputWidth} input.");
        _groups = (kernelWidth * inputChannels + 3) / 4;
        _blocks = (outputChannels + Lanes - 1) / Lanes;
        _packed = new sbyte[kernelHeight * _groups * _blocks * Lanes * 4];
        _offset = new int[(_blocks + 1) * Lanes]; // one block more: requantization reads two blocks at a time
        _multiplier = new float[(_blocks + 1) * Lanes];
        int rowBytes = kernelWidth * inputChannels;
        for (int o = 0; o < outputChannels; o++)
        {
            int sum = 0;
            for (int ky = 0; ky < kernelHeight; ky++)
                for (int f = 0; f < rowBytes; f++)
                {
                    int kx = f / inputChannels, c = f % inputChannels;
                    sbyte w = weights[((o * inputChannels + c) * kernelHeight + ky) * kernelWidth + kx];
                    _packed[(((ky * _groups + f / 4) * _blocks + o / Lanes) * Lanes + o % Lanes) * 4 + f % 4] = w;
                    sum += w;
                }
            _offset[o] = bias[o] - inputZero * sum;
            _multiplier[o] = multiplier[o];
        }
        _outputZero = outputZero;
        _lowest = relu ? outputZero : 0;
        _rowBytes = inputWidth * inputChannels;
        _blockStride = _blocks * Lanes * 4;
        (_o1, _o2, _o3) = pool ? (inputChannels, _rowBytes, _rowBytes + inputChannels) : (inputChannels, 2 * inputChannels, 3 * inputChannels);
    }

    /// <summary>Input channels.</summary>
    public int InputChannels { get; }

    /// <summary>Input height.</summary>
    public int InputHeight { get; }

    /// <summary>Input width.</summary>
    public int InputWidth { get; }

    /// <summary>Kernel height.</summary>
    public int KernelHeight { get; }

    /// <summary>Kernel width.</summary>
    public int KernelWidth { get; }

    /// <summary>Output channels.</summary>
    public int OutputChannels { get; }

    /// <summary>True when a ReLU follows the convolution.</summary>
    public bool Relu { get; }

    /// <summary>True when a 2x2, stride 2 max-pooling follows (after the ReLU).</summary>
    public bool Pool { get; }

    /// <summary>Height of the convolution's own output (before pooling).</summary>
    public int ConvolvedHeight { get; }

    /// <summary>Width of the convolution's own output (before pooling).</summary>
    public int ConvolvedWidth { get; }

    /// <summary>Output height (after pooling).</summary>
    public int OutputHeight => Pool ? ConvolvedHeight / 2 : ConvolvedHeight;

    /// <summary>Output width (after pooling).</summary>
    public int OutputWidth => Pool ? ConvolvedWidth / 2 : ConvolvedWidth;

    /// <summary>Bytes of input (without <see cref="Slack"/>).</summary>
    public int InputLength => InputHeight * InputWidth * InputChannels;

    /// <summary>Bytes of output (without <see cref="Slack"/>).</summary>
    public int OutputLength => OutputHeight * OutputWidth * OutputChannels;

    /// <summary>True where the CPU has AVX-VNNI, which <see cref="Run"/> uses unless told not to.</summary>
    public static bool IsAccelerated => AvxVnni.IsSupported;

    /// <summary>
    /// Convolves <paramref name="input"/> (at least <see cref="InputLength"/> + <see cref="Slack"/> bytes) into
    /// <paramref name="output"/> (<see cref="OutputLength"/> bytes); <paramref name="accelerated"/> false takes the
    /// portable loop (same result).
    /// </summary>
    public unsafe void Run(ReadOnlySpan<byte> input, Span<byte> output, bool accelerated = true)
    {
        if (input.Length < InputLength + Slack || output.Length < OutputLength)
            throw new ArgumentException("Activation buffers are too small for the convolution.");
        fixed (byte* x = input)
        fixed (byte* y = output)
        fixed (sbyte* w = _packed)
        {
            if (accelerated && AvxVnni.IsSupported) RunVnni(x, y, w);
            else RunPortable(x, y, w);
        }
    }

    /// <summary>
    /// Output pixels per tile: one pooled pixel, or four neighbours in a row (narrower rows take the portable loop's
    /// one-at-a-time tiles).
    /// </summary>
    private int TileWidth => Pool ? 1 : Math.Min(4, OutputWidth);

    /// <summary>
    /// Walks the tiles row by row: the input offset of each tile's first window and the output offset of its first
    /// pixel. The last tile of an unpooled row is moved back to end at the row's end (recomputing a few pixels).
    /// </summary>
    private struct Tiles(Int8Convolution layer)
    {
        private int _y, _x;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Next(out int origin, out int pixel)
        {
            if (_y >= layer.OutputHeight)
            {
                origin = pixel = 0;
                return false;
            }
            int outX = layer.Pool ? _x : Math.Min(_x, layer.OutputWidth - layer.TileWidth);
            origin = ((layer.Pool ? 2 * _y : _y) * layer.InputWidth + (layer.Pool ? 2 * outX : outX)) * layer.InputChannels;
            pixel = (_y * layer.OutputWidth + outX) * layer.OutputChannels;
            _x += layer.TileWidth;
            if (_x >= layer.OutputWidth) (_x, _y) = (0, _y + 1);
            return true;
        }
    }

    /// <summary>One tile's int32 sums for two blocks of output channels: its four windows in the first (S) and the second (T).</summary>
    private struct PairSums
    {
        public Vector256<int> S0, S1, S2, S3, T0, T1, T2, T3;
    }

    /// <summary>One tile's int32 sums for one block of output channels, its four windows.</summary>
    private struct BlockSums
    {
        public Vector256<int> S0, S1, S2, S3;
    }

    /// <summary>Adds one group of four bytes of each window (at <paramref name="at"/> and the tile's offsets) times the weights of two blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Add(ref PairSums sums, byte* at, nint o1, nint o2, nint o3, Vector256<sbyte> w0, Vector256<sbyte> w1)
    {
        var x0 = Vector256.Create(Unsafe.ReadUnaligned<int>(at)).AsByte();
        var x1 = Vector256.Create(Unsafe.ReadUnaligned<int>(at + o1)).AsByte();
        var x2 = Vector256.Create(Unsafe.ReadUnaligned<int>(at + o2)).AsByte();
        var x3 = Vector256.Create(Unsafe.ReadUnaligned<int>(at + o3)).AsByte();
        sums.S0 = AvxVnni.MultiplyWideningAndAdd(sums.S0, x0, w0); sums.T0 = AvxVnni.MultiplyWideningAndAdd(sums.T0, x0, w1);
        sums.S1 = AvxVnni.MultiplyWideningAndAdd(sums.S1, x1, w0); sums.T1 = AvxVnni.MultiplyWideningAndAdd(sums.T1, x1, w1);
        sums.S2 = AvxVnni.MultiplyWideningAndAdd(sums.S2, x2, w0); sums.T2 = AvxVnni.MultiplyWideningAndAdd(sums.T2, x2, w1);
        sums.S3 = AvxVnni.MultiplyWideningAndAdd(sums.S3, x3, w0); sums.T3 = AvxVnni.MultiplyWideningAndAdd(sums.T3, x3, w1);
    }

    /// <summary>Adds one group of four bytes of each window times the weights of one block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Add(ref BlockSums sums, byte* at, nint o1, nint o2, nint o3, Vector256<sbyte> w)
    {
        sums.S0 = AvxVnni.MultiplyWideningAndAdd(sums.S0, Vector256.Create(Unsafe.ReadUnaligned<int>(at)).AsByte(), w);
        sums.S1 = AvxVnni.MultiplyWideningAndAdd(sums.S1, Vector256.Create(Unsafe.ReadUnaligned<int>(at + o1)).AsByte(), w);
        sums.S2 = AvxVnni.MultiplyWideningAndAdd(sums.S2, Vector256.Create(Unsafe.ReadUnaligned<int>(at + o2)).AsByte(), w);
        sums.S3 = AvxVnni.MultiplyWideningAndAdd(sums.S3, Vector256.Create(Unsafe.ReadUnaligned<int>(at + o3)).AsByte(), w);
    }

    /// <summary>The maximum of a tile's four windows, both blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> PooledMaximum(in PairSums s) =>
        Vector512.Create(Vector256.Max(Vector256.Max(s.S0, s.S1), Vector256.Max(s.S2, s.S3)), Vector256.Max(Vector256.Max(s.T0, s.T1), Vector256.Max(s.T2, s.T3)));

    /// <summary>Requantizes a tile of two blocks: pooled, the maximum of its windows; else each window's pixel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void Emit(byte* pixel, int block, in PairSums s, int* offset, float* multiplier)
    {
        if (Pool)
        {
            Emit(pixel, block, PooledMaximum(s), offset, multiplier);
            return;
        }
        int n = OutputChannels;
        Emit(pixel, block, Vector512.Create(s.S0, s.T0), offset, multiplier);
        Emit(pixel + n, block, Vector512.Create(s.S1, s.T1), offset, multiplier);
        Emit(pixel + 2 * n, block, Vector512.Create(s.S2, s.T2), offset, multiplier);
        Emit(pixel + 3 * n, block, Vector512.Create(s.S3, s.T3), offset, multiplier);
    }

    private unsafe void RunVnni(byte* input, byte* output, sbyte* packed)
    {
        if (TileWidth < 4 && !Pool) { RunPortable(input, output, packed); return; }
        if (Pool && _groups == 1 && KernelHeight == 3 && _blocks == 2) { RunVnniShallow(input, output, packed); return; }
        // Separate methods keep each loop within the JIT's inlining budget for its requantization.
        if (_blocks > 1) RunVnniPairs(input, output, packed);
        if (_blocks % 2 == 1) RunVnniLastBlock(input, output, packed);
    }

    /// <summary>Blocks two at a time (16 output channels per pass): each broadcast feeds two instructions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void RunVnniPairs(byte* input, byte* output, sbyte* packed)
    {
        nint o1 = _o1, o2 = _o2, o3 = _o3, rowBytes = _rowBytes, blockStride = _blockStride, rowStride = _groups * _blockStride;
        int groups = _groups, kernelHeight = KernelHeight;
        fixed (int* offset = _offset)
        fixed (float* multiplier = _multiplier)
        {
            var tiles = new Tiles(this);
            while (tiles.Next(out int origin, out int pixel))
                for (int b = 0; b + 1 < _blocks; b += 2)
                {
                    var sums = default(PairSums);
                    sbyte* wk = packed + b * Lanes * 4;
                    for (int ky = 0; ky < kernelHeight; ky++, wk += rowStride)
                    {
                        byte* at = input + origin + ky * rowBytes;
                        sbyte* wg = wk;
                        for (int g = 0; g < groups; g++, at += 4, wg += blockStride)
                            Add(ref sums, at, o1, o2, o3, Vector256.Load(wg), Vector256.Load(wg + Lanes * 4));
                    }
                    Emit(output + pixel, b, sums, offset, multiplier);
                }
        }
    }

    /// <summary>The last block of an odd count (8 output channels per pass).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void RunVnniLastBlock(byte* input, byte* output, sbyte* packed)
    {
        nint o1 = _o1, o2 = _o2, o3 = _o3, rowBytes = _rowBytes, blockStride = _blockStride, rowStride = _groups * _blockStride;
        int groups = _groups, kernelHeight = KernelHeight, b = _blocks - 1, n = OutputChannels;
        fixed (int* offset = _offset)
        fixed (float* multiplier = _multiplier)
        {
            var tiles = new Tiles(this);
            while (tiles.Next(out int origin, out int pixel))
            {
                var s = default(BlockSums);
                sbyte* wk = packed + b * Lanes * 4;
                for (int ky = 0; ky < kernelHeight; ky++, wk += rowStride)
                {
                    byte* at = input + origin + ky * rowBytes;
                    sbyte* wg = wk;
                    for (int g = 0; g < groups; g++, at += 4, wg += blockStride) Add(ref s, at, o1, o2, o3, Vector256.Load(wg));
                }
                if (Pool) Emit(output + pixel, b, Vector256.Max(Vector256.Max(s.S0, s.S1), Vector256.Max(s.S2, s.S3)), offset, multiplier);
                else
                {
                    EmitTwoPixels(output + pixel, b, Vector512.Create(s.S0, s.S1), offset, multiplier);
                    EmitTwoPixels(output + pixel + 2 * n, b, Vector512.Create(s.S2, s.S3), offset, multiplier);
                }
            }
        }
    }

    /// <summary>
    /// The common first layer (a 3-row kernel over at most four bytes per row: one gray channel, 16 filters, pooled):
    /// its six weight vectors stay in registers and each pooled pixel is 24 instructions straight, no loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void RunVnniShallow(byte* input, byte* output, sbyte* packed)
    {
        nint o1 = _o1, o2 = _o2, o3 = _o3, rowBytes = _rowBytes;
        int blockStride = 2 * Lanes * 4;
        var a0 = Vector256.Load(packed); var b0 = Vector256.Load(packed + Lanes * 4);
        var a1 = Vector256.Load(packed + blockStride); var b1 = Vector256.Load(packed + blockStride + Lanes * 4);
        var a2 = Vector256.Load(packed + 2 * blockStride); var b2 = Vector256.Load(packed + 2 * blockStride + Lanes * 4);
        fixed (int* offset = _offset)
        fixed (float* multiplier = _multiplier)
        {
            // Pooled pixels in order: the tile walk reduced to two pointers (this layer has 22,201 tiles at 300 px).
            byte* pixel = output;
            int height = OutputHeight, width = OutputWidth, step = 2 * InputChannels, channels = OutputChannels;
            for (int y = 0; y < height; y++)
            {
                byte* at = input + 2 * y * rowBytes;
                for (int x = 0; x < width; x++, at += step, pixel += channels)
                {
                    var sums = default(PairSums);
                    Add(ref sums, at, o1, o2, o3, a0, b0);
                    Add(ref sums, at + rowBytes, o1, o2, o3, a1, b1);
                    Add(ref sums, at + 2 * rowBytes, o1, o2, o3, a2, b2);
                    Emit(pixel, 0, PooledMaximum(sums), offset, multiplier);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void RunPortable(byte* input, byte* output, sbyte* packed)
    {
        int windows = Pool ? 4 : TileWidth;
        nint* origins = stackalloc nint[] { 0, _o1, _o2, _o3 };
        int* sums = stackalloc int[4 * Lanes];
        fixed (int* offset = _offset)
        fixed (float* multiplier = _multiplier)
        {
            var tiles = new Tiles(this);
            while (tiles.Next(out int origin, out int pixel))
                for (int b = 0; b < _blocks; b++)
                {
                    new Span<int>(sums, 4 * Lanes).Clear();
                    for (int p = 0; p < windows; p++)
                        for (int ky = 0; ky < KernelHeight; ky++)
                            for (int g = 0; g < _groups; g++)
                            {
                                byte* at = input + origin + origins[p] + ky * _rowBytes + g * 4;
                                sbyte* w = packed + (ky * _groups + g) * _blockStride + b * Lanes * 4;
                                for (int lane = 0; lane < Lanes; lane++, w += 4)
                                    sums[p * Lanes + lane] += at[0] * w[0] + at[1] * w[1] + at[2] * w[2] + at[3] * w[3];
                            }
                    if (Pool)
                        Emit(output + pixel, b, Vector256.Max(Vector256.Max(Vector256.Load(sums), Vector256.Load(sums + Lanes)),
                            Vector256.Max(Vector256.Load(sums + 2 * Lanes), Vector256.Load(sums + 3 * Lanes))), offset, multiplier);
                    else
                        for (int p = 0; p < windows; p++) Emit(output + pixel + p * OutputChannels, b, Vector256.Load(sums + p * Lanes), offset, multiplier);
                }
        }
    }

    /// <summary>
    /// Requantizes one block's sums into the pixel's uint8 channels: (sum + offset) x multiplier, rounded half to even,
    /// plus the zero point, clamped to [the ReLU's floor, 255]. Element-wise float arithmetic, the same code for both
    /// paths: the same bytes on every CPU (the clamp to +-512 before the conversion leaves no out-of-range value whose
    /// conversion could differ between CPUs).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void Emit(byte* pixel, int block, Vector256<int> sum, int* offset, float* multiplier)
    {
        var bytes = ToBytes(Requantize(Vector512.Create(sum, Vector256<int>.Zero), Vector512.Load(offset + block * Lanes), Vector512.Load(multiplier + block * Lanes)));
        int first = block * Lanes;
        if (first + Lanes <= OutputChannels) Unsafe.WriteUnaligned(pixel + first, bytes.AsUInt64().ToScalar());
        else for (int i = 0; first + i < OutputChannels; i++) pixel[first + i] = bytes.GetElement(i);
    }

    /// <summary>One block of two neighbouring pixels (<paramref name="sums"/>: the first's, then the second's).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void EmitTwoPixels(byte* pixel, int block, Vector512<int> sums, int* offset, float* multiplier)
    {
        var bytes = ToBytes(Requantize(sums, Vector512.Create(Vector256.Load(offset + block * Lanes)), Vector512.Create(Vector256.Load(multiplier + block * Lanes))));
        int first = block * Lanes;
        if (first + Lanes <= OutputChannels)
        {
            Unsafe.WriteUnaligned(pixel + first, bytes.AsUInt64().ToScalar());
            Unsafe.WriteUnaligned(pixel + OutputChannels + first, bytes.AsUInt64().GetElement(1));
        }
        else
            for (int i = 0; first + i < OutputChannels; i++)
            {
                pixel[first + i] = bytes.GetElement(i);
                pixel[OutputChannels + first + i] = bytes.GetElement(Lanes + i);
            }
    }

    /// <summary>Two blocks at once (<paramref name="block"/> and the next): see the one-block overload.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void Emit(byte* pixel, int block, Vector512<int> sums, int* offset, float* multiplier)
    {
        var bytes = ToBytes(Requantize(sums, Vector512.Load(offset + block * Lanes), Vector512.Load(multiplier + block * Lanes)));
        int first = block * Lanes;
        if (first + 2 * Lanes <= OutputChannels) Unsafe.WriteUnaligned(pixel + first, bytes);
        else for (int i = 0; first + i < OutputChannels && i < 2 * Lanes; i++) pixel[first + i] = bytes.GetElement(i);
    }

    /// <summary>The requantized values before the final clamp to 255: (sum + offset) x multiplier, then <see cref="RoundToGrid"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector512<int> Requantize(Vector512<int> sums, Vector512<int> offset, Vector512<float> multiplier) =>
        RoundToGrid(Vector512.ConvertToSingle(sums + offset) * multiplier, _outputZero, _lowest);

    /// <summary>
    /// Values in steps of the uint8 grid to grid points before the final clamp to 255 (<see cref="ToBytes"/>): clamped
    /// to +-512 (so that no conversion is out of range, where CPUs differ), rounded half to even, plus the zero point,
    /// at least <paramref name="lowest"/>. The requantization of every layer and the network's input quantization.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<int> RoundToGrid(Vector512<float> scaled, int zero, int lowest)
    {
        scaled = Vector512.Min(Vector512.Max(scaled, Vector512.Create(-512f)), Vector512.Create(512f));
        // x86: one conversion that rounds half to even (the default MXCSR mode); elsewhere Round, then an exact conversion.
        var rounded = Avx512F.IsSupported ? Avx512F.ConvertToVector512Int32(scaled) : Vector512.ConvertToInt32Native(Vector512.Round(scaled));
        return Vector512.Max(rounded + Vector512.Create(zero), Vector512.Create(lowest));
    }

    /// <summary>Sixteen values (at least 0) to bytes, saturating at 255.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<byte> ToBytes(Vector512<int> q)
    {
        if (Avx512F.IsSupported) return Avx512F.ConvertToVector128ByteWithSaturation(q.AsUInt32());
        q = Vector512.Min(q, Vector512.Create(255));
        var shorts = Vector256.Narrow(q.GetLower(), q.GetUpper());
        return Vector128.Narrow(shorts.GetLower().AsUInt16(), shorts.GetUpper().AsUInt16());
    }
}
