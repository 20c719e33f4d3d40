"""CIFAR10 and CIFAR100 from the real python-pickle batches (root/cifar-10-batches-py/...,
root/cifar-100-python/...).  The batches are read with a restricted unpickler that only builds
NumPy arrays, lists, dicts, strings and numbers: a batch is data and never runs code."""

import os
import pickle

import numpy as np

from .vision import VisionDataset, no_download, not_found

# the only globals a CIFAR batch (pickled by Python 2 + NumPy) refers to
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
}


class _DataOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(
                f"CIFAR batch refers to {module}.{name}, which is not plain data; ember "
                "refuses to load it (a real CIFAR batch only holds NumPy arrays and lists)")
        if module.startswith("numpy.core") and hasattr(np, "_core"):
            module = module.replace("numpy.core", "numpy._core")
        return super().find_class(module, name)


def load_batch(path):
    """Unpickle one batch file (latin1 keys, as the Python 2 originals need)."""
    try:
        with open(path, "rb") as f:
            return _DataOnlyUnpickler(f, encoding="latin1").load()
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError) as error:
        raise ValueError(f"{path} is not a valid CIFAR batch: {error}") from None


class CIFAR10(VisionDataset):
    """32x32 colour images in 10 classes.  Sample: (PIL image mode 'RGB', int label)."""

    base_folder = "cifar-10-batches-py"
    train_list = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4",
                  "data_batch_5"]
    test_list = ["test_batch"]
    meta = {"filename": "batches.meta", "key": "label_names"}
    label_key = "labels"

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        folder = os.path.join(self.root, self.base_folder)
        files = (self.train_list if train else self.test_list) + [self.meta["filename"]]
        present = all(os.path.isfile(os.path.join(folder, f)) for f in files)
        if download and not present:
            raise no_download(self.__class__.__name__, folder, files)
        if not present:
            raise not_found(self.__class__.__name__, folder, files)
        data, targets = [], []
        for name in files[:-1]:
            path = os.path.join(folder, name)
            entry = load_batch(path)
            if not isinstance(entry, dict) or "data" not in entry:
                raise ValueError(f"{path} is not a CIFAR batch: expected a dict with 'data'")
            labels = entry.get(self.label_key, entry.get("labels"))
            images = np.asarray(entry["data"])
            if images.ndim != 2 or images.shape[1] != 3 * 32 * 32:
                raise ValueError(f"{path}: 'data' should be (N, 3072) uint8 (3x32x32 images), "
                                 f"got shape {images.shape}")
            if labels is None or len(labels) != images.shape[0]:
                raise ValueError(f"{path}: {images.shape[0]} images but "
                                 f"{None if labels is None else len(labels)} labels")
            data.append(images.astype(np.uint8))
            targets.extend(int(t) for t in labels)
        self.data = np.vstack(data).reshape(-1, 3, 32, 32).transpose((0, 2, 3, 1))
        self.targets = targets
        meta = load_batch(os.path.join(folder, self.meta["filename"]))
        self.classes = list(meta[self.meta["key"]])
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    def __getitem__(self, index):
        from PIL import Image

        img = Image.fromarray(np.ascontiguousarray(self.data[index]))
        return self._apply(img, self.targets[index])

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


class CIFAR100(CIFAR10):
    """32x32 colour images in 100 fine classes (label: 'fine_labels')."""

    base_folder = "cifar-100-python"
    train_list = ["train"]
    test_list = ["test"]
    meta = {"filename": "meta", "key": "fine_label_names"}
    label_key = "fine_labels"
