"""VisionDataset (root, transform, target_transform, torchvision's repr) and the shared
helpers: missing files, refused downloads."""

import os

from ...utils.data import Dataset


class VisionDataset(Dataset):
    """Base of the vision datasets: keeps root and the transforms, prints like torchvision."""

    _repr_indent = 4

    def __init__(self, root=None, transforms=None, transform=None, target_transform=None):
        if isinstance(root, (str, bytes, os.PathLike)):
            root = os.path.expanduser(root)
        self.root = root
        if transforms is not None and (transform is not None or target_transform is not None):
            raise ValueError("Only transforms or transform/target_transform can be passed as "
                             "argument")
        self.transform = transform
        self.target_transform = target_transform
        self.transforms = transforms

    def _apply(self, img, target):
        if self.transforms is not None:
            return self.transforms(img, target)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def extra_repr(self):
        return ""

    def __repr__(self):
        head = "Dataset " + self.__class__.__name__
        body = [f"Number of datapoints: {self.__len__()}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += [line for line in self.extra_repr().splitlines() if line]
        if self.transform is not None:
            body += [f"Transform: {self.transform}"]
        if self.target_transform is not None:
            body += [f"Target transform: {self.target_transform}"]
        return "\n".join([head] + [" " * self._repr_indent + line for line in body])


def no_download(name, folder, files):
    """download=True on a machine ember cannot download from: say where the files go."""
    listing = "\n".join(f"    {f}" for f in files)
    return RuntimeError(
        f"ember.vision cannot download {name} (no network access from ember).\n"
        f"  Download the files yourself and put them in {folder}:\n{listing}\n"
        "  (gzipped .gz files are read as they are), then pass download=False.")


def not_found(name, folder, files):
    listing = "\n".join(f"    {f}" for f in files)
    return RuntimeError(
        "Dataset not found. You can use download=True to download it\n"
        f"  ember: {name} looks for these files in {folder}:\n{listing}")
