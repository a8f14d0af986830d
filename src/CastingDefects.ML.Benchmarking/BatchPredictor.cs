using CastingDefects.ML.Data;
using CastingDefects.ML.Inference;
using CastingDefects.ML.Training.Models;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace CastingDefects.ML.Benchmarking;

/// <summary>Predicts defect probabilities for a batch of preprocessed images [N, C, H, W] with one engine.</summary>
public abstract class BatchPredictor : IDisposable
{
    /// <summary>The engine.</summary>
    public abstract InferenceEngine Engine { get; }

    /// <summary>Probabilities of <paramref name="count"/> images.</summary>
    public abstract float[] Predict(float[] pixels, int count);

    /// <summary>Creates the predictor for a built network (its ONNX export for the ONNX-based engines).</summary>
    /// <param name="engine">Engine to use.</param>
    /// <param name="network">The network (built).</param>
    /// <param name="onnx">Its ONNX export.</param>
    /// <param name="threads">Threads: 1, or 0 for all cores. The ML.NET engine always uses ONNX Runtime's default (all cores).</param>
    /// <param name="workFolder">Where the ML.NET engine saves its .zip.</param>
    public static BatchPredictor Create(InferenceEngine engine, Sequential network, byte[] onnx, int threads, string workFolder) => engine switch
    {
        InferenceEngine.OnnxRuntime => new OnnxRuntimePredictor(onnx, threads, int8Kernels: false),
        InferenceEngine.OnnxRuntimeInt8 => new OnnxRuntimePredictor(Int8(onnx, network), threads, int8Kernels: false),
        InferenceEngine.Int8Kernels => new OnnxRuntimePredictor(Int8(onnx, network), threads, int8Kernels: true),
        InferenceEngine.MLNet => new MLNetPredictor(onnx, workFolder),
        InferenceEngine.TorchSharp => new TorchSharpPredictor(network, threads),
        _ => throw new ArgumentOutOfRangeException(nameof(engine), engine, null),
    };

    /// <summary>The network quantized to int8, calibrated on 16 random images (seed 1): latency does not depend on the ranges.</summary>
    private static byte[] Int8(byte[] onnx, Sequential network)
    {
        var shape = network.InputShape;
        int length = shape.Channels * shape.Height * shape.Width;
        var random = new Random(1);
        var images = Enumerable.Range(0, 16).Select(_ => Enumerable.Range(0, length).Select(_ => (float)random.NextDouble()).ToArray()).ToList();
        return Quantization.OnnxQuantizer.Quantize(onnx, images);
    }

    /// <summary>
    /// Runs an exported classifier as <see cref="CastingOnnxModel"/> runs it by default (without a heatmap's nodes; an
    /// int8 network on the library's kernels where they run it) and returns its probabilities.
    /// </summary>
    public static BatchPredictor Onnx(byte[] onnx, int threads) => new OnnxRuntimePredictor(onnx, threads, int8Kernels: null);

    /// <summary>Runs any single-input ONNX graph (for example <see cref="ComputeFloor.ConvolutionsOnly"/>) and returns its first output.</summary>
    public static BatchPredictor Raw(byte[] onnx, int threads) => new RawOnnxPredictor(onnx, threads);

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the engine's resources.</summary>
    protected virtual void Dispose(bool disposing) { }

    /// <summary>
    /// <see cref="CastingOnnxModel"/>; for an int8 network, int8Kernels true requires the library's kernels (refused
    /// with <see cref="NotSupportedException"/> where they do not run it), false takes ONNX Runtime's, null the model's
    /// default (the library's where they run it).
    /// </summary>
    private sealed class OnnxRuntimePredictor : BatchPredictor
    {
        private readonly CastingOnnxModel _model;

        public OnnxRuntimePredictor(byte[] onnx, int threads, bool? int8Kernels)
        {
            _model = new CastingOnnxModel(onnx, threads == 0 ? Environment.ProcessorCount : threads) { UseInt8Kernels = int8Kernels ?? true };
            if (int8Kernels == true && _model.Engine != CastingOnnxModel.Int8KernelsEngine)
            {
                _model.Dispose();
                throw new NotSupportedException(Inference.Int8.Int8Network.IsAccelerated
                    ? "the int8 kernels do not run this network (plain convolutions, pooling and a dense head only)"
                    : "this CPU has no AVX-VNNI for the int8 kernels");
            }
        }

        public override InferenceEngine Engine => _model.Engine == CastingOnnxModel.Int8KernelsEngine ? InferenceEngine.Int8Kernels : InferenceEngine.OnnxRuntime;

        public override float[] Predict(float[] pixels, int count) => _model.PredictProbabilities(pixels, count);

        protected override void Dispose(bool disposing) => _model.Dispose();
    }

    private sealed class RawOnnxPredictor : BatchPredictor
    {
        private readonly Microsoft.ML.OnnxRuntime.InferenceSession _session;
        private readonly string _input;
        private readonly int[] _shape;

        public RawOnnxPredictor(byte[] onnx, int threads)
        {
            using var options = new Microsoft.ML.OnnxRuntime.SessionOptions
            {
                GraphOptimizationLevel = Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_ALL,
                IntraOpNumThreads = threads == 0 ? Environment.ProcessorCount : threads, InterOpNumThreads = 1,
            };
            _session = new Microsoft.ML.OnnxRuntime.InferenceSession(onnx, options);
            var input = _session.InputMetadata.Single();
            _input = input.Key;
            _shape = input.Value.Dimensions;
        }

        public override InferenceEngine Engine => InferenceEngine.OnnxRuntime;

        public override float[] Predict(float[] pixels, int count)
        {
            var shape = (int[])_shape.Clone();
            shape[0] = count;
            var tensor = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(pixels, shape);
            using var results = _session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor(_input, tensor)]);
            return [results[0].AsEnumerable<float>().First()];
        }

        protected override void Dispose(bool disposing) => _session.Dispose();
    }

    private sealed class TorchSharpPredictor : BatchPredictor
    {
        private readonly Sequential _network;
        private readonly int _threads;

        public TorchSharpPredictor(Sequential network, int threads)
        {
            _network = network;
            _threads = threads == 0 ? Environment.ProcessorCount : threads;
            _network.Module.eval();
        }

        public override InferenceEngine Engine => InferenceEngine.TorchSharp;

        public override float[] Predict(float[] pixels, int count)
        {
            set_num_threads(_threads);
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            var shape = _network.InputShape;
            var x = tensor(pixels, [count, shape.Channels, shape.Height, shape.Width]);
            return _network.Probabilities(_network.Module.forward(x)).data<float>().ToArray();
        }
    }

    /// <summary>Input row of the ML.NET engine: one preprocessed image.</summary>
    private sealed class FeaturesRow
    {
        public float[] Features { get; set; } = [];
    }

    private sealed class MLNetPredictor : BatchPredictor
    {
        private readonly PredictionEngine<FeaturesRow, CastingVerdict> _engine;
        private readonly ITransformer _fitted, _loaded;
        private readonly int _length;

        public MLNetPredictor(byte[] onnx, string workFolder)
        {
            using var meta = new CastingOnnxModel(onnx, 1);
            var image = meta.Image;
            _length = image.FeatureLength;
            var ml = new MLContext(seed: 1);
            var schema = SchemaDefinition.Create(typeof(FeaturesRow));
            schema[nameof(FeaturesRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, _length);
            var empty = ml.Data.LoadFromEnumerable(Array.Empty<FeaturesRow>(), schema);
            var model = _fitted = ml.Transforms.ScoreWithOnnx(onnx, image).Fit(empty);
            Directory.CreateDirectory(workFolder);
            string path = Path.Combine(workFolder, $"{meta.Architecture}-{image.Width}.zip");
            ml.Model.SaveCastingModel(model, empty.Schema, path); // the deployed artifact, loaded as an app would
            var loaded = _loaded = ml.Model.LoadCastingModel(path);
            _engine = ml.Model.CreatePredictionEngine<FeaturesRow, CastingVerdict>(loaded, inputSchemaDefinition: schema);
        }

        public override InferenceEngine Engine => InferenceEngine.MLNet;

        public override float[] Predict(float[] pixels, int count)
        {
            var result = new float[count];
            var row = new FeaturesRow();
            for (int i = 0; i < count; i++)
            {
                row.Features = pixels.AsSpan(i * _length, _length).ToArray();
                result[i] = _engine.Predict(row).Probability;
            }
            return result;
        }

        protected override void Dispose(bool disposing)
        {
            _engine.Dispose();
            _loaded.DisposeModel();
            _fitted.DisposeModel();
        }
    }
}
