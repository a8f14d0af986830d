namespace CastingDefects.ML.Training.Transfer;

/// <summary>Pretrained backbones for transfer learning (those available offline).</summary>
public enum TransferArchitecture
{
    /// <summary>
    /// ImageNet ResNet18 from Microsoft.ML.DnnImageFeaturizer.ResNet18 (ONNX, shipped in the package): 512 features,
    /// 224x224 inputs by default.
    /// </summary>
    ResNet18,
}
