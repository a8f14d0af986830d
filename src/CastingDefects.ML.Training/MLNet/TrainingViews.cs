using CastingDefects.ML.Data;
using CastingDefects.ML.Training.Data;
using CastingDefects.ML.Training.Layers;
using Microsoft.ML;

namespace CastingDefects.ML.Training.MLNet;

/// <summary>Reads the training view and the validation view (given, or split off stratified) into memory for the trainers.</summary>
internal static class TrainingViews
{
    /// <summary>The training images, the validation images (or null) and the validation view they came from.</summary>
    public sealed record Result(ImageTensorData Train, ImageTensorData? Validation, IDataView? ValidationView);

    public static Result Read(TransformsCatalog transforms, DataOperationsCatalog data, IDataView input, CastingImageOptions image,
        IDataView? validationSet, double validationFraction, int seed, string featureColumn, string labelColumn, int classes)
    {
        image.Validate();
        var shape = new TensorShape(image.Channels, image.Height, image.Width);
        IDataView trainView = input;
        IDataView? validationView = null;
        if (validationSet is not null)
            validationView = validationSet.Schema.GetColumnOrNull(featureColumn) is null
                ? transforms.LoadCastingImages(image).Fit(validationSet).Transform(validationSet)
                : validationSet;
        else if (validationFraction > 0) // stratified for binary and multiclass labels alike
        {
            var split = data.StratifiedSplit(input, validationFraction, seed);
            (trainView, validationView) = (split.TrainSet, split.TestSet);
        }

        var train = ImageTensorData.FromDataView(trainView, shape, featureColumn, labelColumn);
        var validation = validationView is null ? null : ImageTensorData.FromDataView(validationView, shape, featureColumn, labelColumn);
        if (validation is { Count: 0 })
            throw new InvalidOperationException("The validation data is empty: give a ValidationSet with images of every class, or a larger ValidationFraction.");
        int present = train.Labels.Distinct().Count();
        if (present < classes)
            throw new InvalidOperationException($"The training data has images of {present} of the {classes} classes; every class needs training images.");
        return new Result(train, validation, validationView);
    }
}
