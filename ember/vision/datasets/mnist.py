"""MNIST, FashionMNIST, KMNIST and EMNIST from the real IDX files in torchvision's layout:
root/<ClassName>/raw/train-images-idx3-ubyte (or .gz) and the matching labels file."""

import gzip
import os

import numpy as np

import ember

from .vision import VisionDataset, no_download, not_found

# IDX type byte -> big-endian dtype
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Read an IDX file: 2 zero bytes, a type byte, the number of dims, one big-endian int32
    per dim, then the data (big-endian).  Raises ValueError naming the file when malformed."""
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as error:
        raise ValueError(f"could not read IDX file {path}: {error}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"{path} is not an IDX file: bad magic number "
                         f"{data[:4].hex() if len(data) >= 4 else data.hex()!r} (expected 0000 "
                         "then a type byte 08/09/0b/0c/0d/0e and the number of dims)")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path} is truncated: header needs {header} bytes, file has "
                         f"{len(data)}")
    shape = tuple(int(d) for d in np.frombuffer(data[4:header], dtype=">i4"))
    dtype = np.dtype(_IDX_TYPES[data[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(f"{path} has the wrong size: its header says shape {shape} "
                         f"({expected} bytes of data) but it holds {len(data) - header} bytes "
                         "(truncated or corrupt download?)")
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


class MNIST(VisionDataset):
    """Handwritten digits: 60,000 training and 10,000 test 28x28 grayscale images.
    Sample: (PIL image mode 'L', int label)."""

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download and not self._check_exists():
            raise no_download(self.__class__.__name__, self.raw_folder, self._files())
        if not self._check_exists():
            raise not_found(self.__class__.__name__, self.raw_folder, self._files())
        self.data, self.targets = self._load_data()

    @property
    def raw_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def class_to_idx(self):
        return {name: i for i, name in enumerate(self.classes)}

    def _files(self):
        prefix = "train" if self.train else "t10k"
        return [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]

    def _find(self, name):
        for candidate in (name, name + ".gz"):
            path = os.path.join(self.raw_folder, candidate)
            if os.path.isfile(path):
                return path
        return None

    def _check_exists(self):
        return all(self._find(name) is not None for name in self._files())

    def _load_data(self):
        images_file, labels_file = self._files()
        images = read_idx(self._find(images_file))
        labels = read_idx(self._find(labels_file))
        if images.ndim != 3 or labels.ndim != 1:
            raise ValueError(f"{self.__class__.__name__}: expected images (N, H, W) and labels "
                             f"(N,), got {images.shape} and {labels.shape}")
        if images.shape[0] != labels.shape[0]:
            raise ValueError(f"{self.__class__.__name__}: {images.shape[0]} images but "
                             f"{labels.shape[0]} labels")
        data = ember.from_numpy(np.ascontiguousarray(images.astype(np.uint8)))
        return data, ember.from_numpy(labels.astype(np.int64))

    def __getitem__(self, index):
        from PIL import Image

        img = Image.fromarray(self.data[index].numpy(), mode="L")
        return self._apply(img, int(self.targets[index]))

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's article images, MNIST's format."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST (cursive Japanese), MNIST's format."""

    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


class EMNIST(MNIST):
    """Extended MNIST: split in byclass, bymerge, balanced, letters, digits, mnist; files
    root/EMNIST/raw/emnist-<split>-train-images-idx3-ubyte(.gz)."""

    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    _digits = list("0123456789")
    _letters = list("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    _lower = list("abcdefghijklmnopqrstuvwxyz")
    _merged = list("abdefghnqrt")
    classes_split_dict = {
        "byclass": _digits + _letters + _lower,
        "bymerge": _digits + _letters + _merged,
        "balanced": _digits + _letters + _merged,
        "letters": ["N/A"] + _lower,
        "digits": _digits,
        "mnist": _digits,
    }

    def __init__(self, root, split, **kwargs):
        if split not in self.splits:
            raise ValueError(f"Unknown value '{split}' for argument split. Valid values are "
                             f"{{{', '.join(repr(s) for s in self.splits)}}}.")
        self.split = split
        self.classes = self.classes_split_dict[split]
        super().__init__(root, **kwargs)

    def _files(self):
        part = "train" if self.train else "test"
        return [f"emnist-{self.split}-{part}-images-idx3-ubyte",
                f"emnist-{self.split}-{part}-labels-idx1-ubyte"]
