"""torchvision.datasets: MNIST family (IDX files), CIFAR (pickled batches, read safely),
ImageFolder/DatasetFolder, FakeData."""

from .cifar import CIFAR10, CIFAR100
from .fakedata import FakeData
from .folder import IMG_EXTENSIONS, DatasetFolder, ImageFolder, default_loader, pil_loader
from .mnist import EMNIST, KMNIST, MNIST, FashionMNIST, read_idx
from .vision import VisionDataset
