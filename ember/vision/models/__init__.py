"""torchvision.models: the classic image classifiers, with torchvision's module names (so
state_dict keys match) and default initialisations.  weights=None only: load a local .pth
with model.load_state_dict(ember.load(path))."""

from .alexnet import AlexNet, alexnet
from .densenet import DenseNet, densenet121, densenet161, densenet169, densenet201
from .efficientnet import (
    EfficientNet,
    efficientnet_b0,
    efficientnet_b1,
    efficientnet_b2,
    efficientnet_b3,
)
from .googlenet import GoogLeNet, GoogLeNetOutputs, googlenet
from .mobilenetv2 import MobileNetV2, mobilenet_v2
from .mobilenetv3 import MobileNetV3, mobilenet_v3_large, mobilenet_v3_small
from .resnet import (
    ResNet,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
    resnext50_32x4d,
    wide_resnet50_2,
)
from .shufflenetv2 import (
    ShuffleNetV2,
    shufflenet_v2_x0_5,
    shufflenet_v2_x1_0,
    shufflenet_v2_x1_5,
    shufflenet_v2_x2_0,
)
from .squeezenet import SqueezeNet, squeezenet1_0, squeezenet1_1
from .vgg import VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn
from .vit import VisionTransformer, vit_b_16, vit_b_32, vit_l_16, vit_l_32


def __getattr__(name):
    """Only called for a name this module lacks: torch's name and ember.check in the error."""
    from ..._missing import missing_name

    raise missing_name(__name__, name)
