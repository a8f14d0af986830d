using System.Diagnostics;
using CastingDefects.ML.IO;
using CastingDefects.ML.Augmentation;
using CastingDefects.ML.Training.Augmentation;
using CastingDefects.ML.Training.Callbacks;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Models;
using CastingDefects.ML.Training.Runtime;
using TorchSharp;
using OptimizerHelper = TorchSharp.Modules.OptimizerHelper;
using static TorchSharp.torch;

namespace CastingDefects.ML.Training.Fitting;

/// <summary>The training loop behind <see cref="Sequential.Fit"/>: one dispose scope per step, so memory stays flat.</summary>
internal sealed class Trainer
{
    /// <summary>File name of the checkpoint written after every epoch.</summary>
    public const string LastCheckpoint = "last.ckpt";

    /// <summary>File name of the checkpoint of the best epoch (lowest validation loss).</summary>
    public const string BestCheckpoint = "best.ckpt";

    private readonly Sequential _model;
    private readonly FitOptions _options;

    public Trainer(Sequential model, FitOptions options)
    {
        options.Validate();
        _model = model;
        _options = options;
    }

    public History Fit(ImageTensorData train, ImageTensorData? validation, IReadOnlyList<Callback> callbacks)
    {
        if (train.Count == 0) throw new ArgumentException("The training data is empty.", nameof(train));
        if (train.Shape != _model.InputShape)
            throw new ArgumentException($"The training images are {train.Shape} but model '{_model.Name}' takes {_model.InputShape}.", nameof(train));
        if (validation is not null && validation.Shape != _model.InputShape)
            throw new ArgumentException($"The validation images are {validation.Shape} but model '{_model.Name}' takes {_model.InputShape}.", nameof(validation));

        if (_options.ClassWeights is not null && _model.Head == HeadKind.SoftmaxN)
            throw new ArgumentException($"FitOptions.ClassWeights weigh the good and the defect class of a binary head; model '{_model.Name}' separates {_model.Classes} classes. Leave ClassWeights null for it.", nameof(FitOptions.ClassWeights));
        set_num_threads(_options.Threads ?? Environment.ProcessorCount);
        if (!_model.IsBuilt) _model.Build(_options.Seed);
        var module = _model.Module;
        module.SyncTrainable(); // Trainable flags set after the model was built take effect here, as on Keras's compile
        OptimizerHelper optimizer = _options.Optimizer == OptimizerKind.Adam
            ? optim.Adam(TrainableParameters(module), _options.LearningRate, beta1: 0.9, beta2: 0.999, eps: 1e-7)
            : optim.SGD(TrainableParameters(module), _options.LearningRate, momentum: _options.Momentum);
        var context = new TrainingContext(_model,
            () => optimizer.ParamGroups.First().LearningRate,
            lr => { foreach (var g in optimizer.ParamGroups) g.LearningRate = lr; }, _options.CheckpointDirectory);

        var history = new History();
        int startEpoch = 0;
        double bestValLoss = double.NaN;
        int bestEpoch = 0;
        string? last = _options.CheckpointDirectory is null ? null : Path.Combine(_options.CheckpointDirectory, LastCheckpoint);
        string? best = _options.CheckpointDirectory is null ? null : Path.Combine(_options.CheckpointDirectory, BestCheckpoint);
        if (_options.Resume && last is not null && File.Exists(last))
        {
            var state = Checkpoint.ReadState(last);
            if (state.Model != _model.Name)
                throw new InvalidDataException($"Checkpoint '{last}' is of model '{state.Model}', not '{_model.Name}'.");
            Checkpoint.LoadWeights(last, _model);
            Checkpoint.LoadOptimizer(last, optimizer);
            context.LearningRate = state.LearningRate;
            history.Epochs.AddRange(state.History);
            startEpoch = state.Epoch;
            bestValLoss = state.BestValLoss;
            bestEpoch = state.BestEpoch;
            for (int i = 0; i < callbacks.Count && i < state.Callbacks.Count; i++) callbacks[i].SetState(state.Callbacks[i]);
        }

        // Frozen BatchNormalization layers (Trainable = false) keep their statistics: no warm-up, no recalibration.
        var norms = module.modules().OfType<TorchSharp.Modules.NormBase>().Where(n => n.weight?.requires_grad != false).Select(n => (Module: n, Momentum: n.momentum ?? 0.1)).ToList();
        foreach (var c in callbacks) c.OnTrainBegin(context);
        var lossWeights = _options.ClassWeights is { } w ? ((float)w.Good, (float)w.Defect) : (1f, 1f);
        int batches = (train.Count + _options.BatchSize - 1) / _options.BatchSize;
        var output = _options.Verbose > 0 ? _options.Output ?? Console.Out : null;
        bool batchLine = _options.Verbose == 1 && _options.Output is null && !Console.IsOutputRedirected;

        for (int epoch = startEpoch + 1; epoch <= _options.Epochs && !context.StopTraining; epoch++)
        {
            var clock = Stopwatch.StartNew();
            double lr = context.LearningRate;
            // Shuffling and augmentation depend only on (seed, epoch): a resumed run draws what the original would have.
            var order = Enumerable.Range(0, train.Count).ToArray();
            if (_options.Shuffle) new Random(StableSeed.Mix(_options.Seed, epoch)).Shuffle(order);
            var augmenter = _options.Augmentation is { IsIdentity: false } a ? new BatchAugmenter(a, StableSeed.Mix(_options.Seed, epoch, 7)) : null;
            manual_seed(StableSeed.Mix(_options.Seed, epoch, 11)); // dropout masks

            module.train();
            double lossSum = 0;
            long correct = 0;
            for (int b = 0; b < batches; b++)
            {
                _options.CancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var indices = order.AsSpan(b * _options.BatchSize, Math.Min(_options.BatchSize, train.Count - b * _options.BatchSize)).ToArray();
                var (x, y) = train.Batch(indices);
                if (augmenter is not null) x = augmenter.Apply(x);
                x = ChannelsLast.Apply(x);
                WarmUpBatchNorm(norms);
                var logits = module.forward(x);
                var loss = Loss(logits, y, lossWeights);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                lossSum += loss.item<float>() * indices.Length;
                correct += CountCorrect(logits, y);
                _options.Progress?.Report(new TrainingProgress(epoch, _options.Epochs, b + 1, batches, lossSum / Math.Min(train.Count, (b + 1) * _options.BatchSize), clock.Elapsed));
                if (batchLine) output!.Write(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"\rEpoch {epoch}/{_options.Epochs} - batch {b + 1}/{batches} - loss: {lossSum / Math.Min(train.Count, (b + 1) * _options.BatchSize):F4}   "));
            }
            if (batchLine) output!.Write('\r');

            if (norms.Count > 0 && _options.BatchNormRecalibrationSamples > 0) RecalibrateBatchNorm(train, norms, order);
            var (valLoss, valAccuracy) = validation is null ? (double.NaN, double.NaN) : Evaluate(validation, lossWeights);
            var log = new EpochLog(epoch, lossSum / train.Count, (double)correct / train.Count, valLoss, valAccuracy, lr, clock.Elapsed.TotalSeconds);
            history.Epochs.Add(log);

            double monitored = validation is null ? log.Loss : valLoss;
            bool improved = !double.IsNaN(monitored) && (double.IsNaN(bestValLoss) || monitored < bestValLoss);
            if (improved)
            {
                bestValLoss = monitored;
                bestEpoch = epoch;
            }
            output?.WriteLine(log.ToKerasLine(_options.Epochs));
            foreach (var c in callbacks) c.OnEpochEnd(context, log);

            if (last is not null)
            {
                var state = new CheckpointState
                {
                    Model = _model.Name, Epoch = epoch, LearningRate = context.LearningRate, BestValLoss = bestValLoss, BestEpoch = bestEpoch,
                    History = history.Epochs.ToList(), Callbacks = callbacks.Select(c => new Dictionary<string, double>(c.GetState())).ToList(),
                };
                if (improved) Checkpoint.Save(best!, _model, optimizer, state);
                Checkpoint.Save(last, _model, optimizer, state);
            }
        }
        foreach (var c in callbacks) c.OnTrainEnd(context);
        module.eval();
        return history;
    }

    /// <summary>
    /// Bias-corrected moving statistics: for the first 1/(1 - momentum) steps each BatchNormalization averages the
    /// batches seen so far (momentum 1/(t+1)), then follows Keras's exponential average. Without this, the initial
    /// mean 0 and variance 1 dominate the running statistics for hundreds of steps when activations are small (as in
    /// the paper's model), and validation in inference mode predicts a single class for the first epochs.
    /// </summary>
    private static void WarmUpBatchNorm(List<(TorchSharp.Modules.NormBase Module, double Momentum)> norms)
    {
        foreach (var (norm, momentum) in norms)
        {
            long seen = norm.num_batches_tracked is null ? long.MaxValue - 1 : norm.num_batches_tracked.item<long>();
            norm.momentum = Math.Max(momentum, 1.0 / (seen + 1));
        }
    }

    /// <summary>
    /// Precise BN: resets each BatchNormalization's running statistics and re-estimates them as a plain average over
    /// the first samples of this epoch's order, with the current weights, everything else in inference mode.
    /// </summary>
    private void RecalibrateBatchNorm(ImageTensorData train, List<(TorchSharp.Modules.NormBase Module, double Momentum)> norms, int[] order)
    {
        var module = _model.Module;
        module.eval();
        using var _ = no_grad();
        foreach (var (norm, _) in norms)
        {
            norm.running_mean!.zero_();
            norm.running_var!.fill_(1);
            norm.num_batches_tracked!.zero_();
            norm.momentum = null; // cumulative average
            norm.train();
        }
        int samples = Math.Min(_options.BatchNormRecalibrationSamples, train.Count);
        int batch = Math.Max(_options.BatchSize, 64);
        for (int start = 0; start < samples; start += batch)
        {
            using var scope = NewDisposeScope();
            var (x, _) = train.Batch(order.AsSpan(start, Math.Min(batch, samples - start)).ToArray());
            module.forward(ChannelsLast.Apply(x));
        }
        foreach (var (norm, momentum) in norms)
        {
            norm.momentum = momentum;
            // Continue the moving average from here: counts past the warm-up so momentum stays at its base value.
            norm.num_batches_tracked!.fill_((long)Math.Ceiling(1 / momentum));
            norm.eval();
        }
    }

    private static IEnumerable<TorchSharp.Modules.Parameter> TrainableParameters(nn.Module module)
    {
        var parameters = module.parameters().Where(p => p.requires_grad).ToList();
        return parameters.Count > 0 ? parameters : throw new InvalidOperationException("Every layer of the model is frozen (Trainable = false); nothing to train.");
    }

    private (double Loss, double Accuracy) Evaluate(ImageTensorData data, (float Good, float Defect) weights)
    {
        var module = _model.Module;
        module.eval();
        using var _ = no_grad();
        double lossSum = 0;
        long correct = 0;
        int batch = Math.Max(_options.BatchSize, 64);
        for (int start = 0; start < data.Count; start += batch)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(batch, data.Count - start);
            var (x, y) = data.Batch(Enumerable.Range(start, n).ToArray());
            var logits = module.forward(ChannelsLast.Apply(x));
            lossSum += Loss(logits, y, weights).item<float>() * n;
            correct += CountCorrect(logits, y);
        }
        return (lossSum / data.Count, (double)correct / data.Count);
    }

    private Tensor Loss(Tensor logits, Tensor labels, (float Good, float Defect) weights)
    {
        bool weighted = weights.Good != 1f || weights.Defect != 1f;
        if (_model.Head == HeadKind.Sigmoid1)
        {
            var flat = logits.reshape(-1);
            if (!weighted) return nn.functional.binary_cross_entropy_with_logits(flat, labels);
            using Scalar slope = weights.Defect - weights.Good, intercept = weights.Good; // held to the end: see KeptScalars
            var w = labels.mul(slope).add_(intercept);
            return nn.functional.binary_cross_entropy_with_logits(flat, labels, weight: w);
        }
        var target = labels.to_type(ScalarType.Int64);
        return weighted && _model.Head == HeadKind.Softmax2
            ? nn.functional.cross_entropy(logits, target, weight: tensor(new[] { weights.Good, weights.Defect }))
            : nn.functional.cross_entropy(logits, target);
    }

    private long CountCorrect(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        return _model.Head == HeadKind.Sigmoid1
            ? logits.reshape(-1).gt(Runtime.KeptScalars.Zero).eq(labels.gt(Runtime.KeptScalars.Half)).sum().item<long>()
            : logits.argmax(1).eq(labels.to_type(ScalarType.Int64)).sum().item<long>();
    }
}
