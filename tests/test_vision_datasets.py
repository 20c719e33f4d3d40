"""ember.vision.datasets read small real-format files (IDX, CIFAR pickles, image folders)."""

import gzip
import os
import pickle

import numpy as np
import pytest
import torch

import ember
from ember.utils.data import DataLoader
from ember.vision import datasets, transforms

Image = pytest.importorskip("PIL.Image")


def _idx_bytes(array, type_byte=0x08):
    dtype = {0x08: ">u1", 0x0C: ">i4"}[type_byte]
    header = bytes([0, 0, type_byte, array.ndim]) + np.array(array.shape, dtype=">i4").tobytes()
    return header + array.astype(dtype).tobytes()


def _write_mnist(root, name="MNIST", n_train=6, n_test=4, gz=True, prefix=""):
    raw = root / name / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    out = {}
    for part, n in (("train", n_train), ("t10k" if not prefix else "test", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            path = raw / f"{prefix}{part}-{kind}-ubyte"
            data = _idx_bytes(array)
            if gz:
                with gzip.open(str(path) + ".gz", "wb") as f:
                    f.write(data)
            else:
                path.write_bytes(data)
        out[part] = (images, labels)
    return out


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("cls", [datasets.MNIST, datasets.FashionMNIST, datasets.KMNIST])
def test_mnist_family_reads_idx(tmp_path, cls, gz):
    written = _write_mnist(tmp_path, cls.__name__, gz=gz)
    train = cls(str(tmp_path), train=True)
    test = cls(str(tmp_path), train=False)
    assert len(train) == 6 and len(test) == 4
    img, target = train[2]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    assert type(target) is int and target == written["train"][1][2]
    assert (np.asarray(img) == written["train"][0][2]).all()
    assert train.data.dtype == ember.uint8 and train.targets.dtype == ember.int64
    assert len(train.classes) == 10 and train.class_to_idx[train.classes[3]] == 3
    tx, ty = cls(str(tmp_path), train=False, transform=transforms.ToTensor(),
                 target_transform=lambda t: t + 100)[1]
    assert tuple(tx.shape) == (1, 28, 28) and tx.dtype == ember.float32
    assert ty == written["t10k"][1][1] + 100
    text = repr(train)
    assert text.startswith(f"Dataset {cls.__name__}\n    Number of datapoints: 6")
    assert "Split: Train" in text


def test_emnist_split_files(tmp_path):
    written = _write_mnist(tmp_path, "EMNIST", prefix="emnist-letters-")
    data = datasets.EMNIST(str(tmp_path), split="letters", train=False)
    assert len(data) == 4 and data[0][1] == written["test"][1][0]
    assert data.classes[0] == "N/A" and len(data.classes) == 27
    with pytest.raises(ValueError, match="Unknown value 'bogus' for argument split"):
        datasets.EMNIST(str(tmp_path), split="bogus")


def test_mnist_missing_files_and_download(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found. You can use download=True"):
        datasets.MNIST(str(tmp_path))
    with pytest.raises(RuntimeError, match="cannot download MNIST") as info:
        datasets.MNIST(str(tmp_path), download=True)
    assert os.path.join(str(tmp_path), "MNIST", "raw") in str(info.value)
    assert "train-images-idx3-ubyte" in str(info.value)


def test_malformed_idx_files(tmp_path):
    _write_mnist(tmp_path, gz=False)
    raw = tmp_path / "MNIST" / "raw"
    good = (raw / "train-images-idx3-ubyte").read_bytes()
    (raw / "train-images-idx3-ubyte").write_bytes(b"\x12\x34" + good[2:])
    with pytest.raises(ValueError, match="bad magic number"):
        datasets.MNIST(str(tmp_path))
    (raw / "train-images-idx3-ubyte").write_bytes(good[:-10])
    with pytest.raises(ValueError, match="wrong size"):
        datasets.MNIST(str(tmp_path))
    (raw / "train-images-idx3-ubyte").write_bytes(good[:8])
    with pytest.raises(ValueError, match="truncated"):
        datasets.MNIST(str(tmp_path))
    (raw / "train-images-idx3-ubyte").write_bytes(good)
    labels = np.zeros(5, dtype=np.uint8)
    (raw / "train-labels-idx1-ubyte").write_bytes(_idx_bytes(labels))
    with pytest.raises(ValueError, match="6 images but 5 labels"):
        datasets.MNIST(str(tmp_path))


def test_read_idx_int32():
    import tempfile

    array = np.arange(-3, 3, dtype=np.int32).reshape(2, 3)
    with tempfile.NamedTemporaryFile(suffix="-idx2-int", delete=False) as f:
        f.write(_idx_bytes(array, 0x0C))
    try:
        out = datasets.read_idx(f.name)
        assert out.dtype == np.int32 and (out == array).all()
    finally:
        os.unlink(f.name)


def _write_cifar(root, hundred=False):
    rng = np.random.default_rng(1)
    folder = root / ("cifar-100-python" if hundred else "cifar-10-batches-py")
    folder.mkdir()
    names = ["train", "test"] if hundred else ["data_batch_1", "data_batch_2",
                                                "data_batch_3", "data_batch_4",
                                                "data_batch_5", "test_batch"]
    key = "fine_labels" if hundred else "labels"
    batches = {}
    for name in names:
        data = rng.integers(0, 256, size=(3, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, size=3)]
        batch = {"batch_label": "batch", "data": data, key: labels, "filenames": ["a", "b", "c"]}
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f, protocol=2)
        batches[name] = batch
    meta_name, meta_key = ("meta", "fine_label_names") if hundred else ("batches.meta",
                                                                        "label_names")
    with open(folder / meta_name, "wb") as f:
        pickle.dump({meta_key: [f"class{i}" for i in range(10)]}, f, protocol=2)
    return folder, batches


@pytest.mark.parametrize("hundred", [False, True])
def test_cifar_reads_pickled_batches(tmp_path, hundred):
    folder, batches = _write_cifar(tmp_path, hundred)
    cls = datasets.CIFAR100 if hundred else datasets.CIFAR10
    train = cls(str(tmp_path), train=True)
    test = cls(str(tmp_path), train=False)
    assert len(train) == (3 if hundred else 15) and len(test) == 3
    first = batches["train" if hundred else "data_batch_1"]
    img, target = train[1]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (32, 32)
    key = "fine_labels" if hundred else "labels"
    assert type(target) is int and target == first[key][1]
    expect = first["data"][1].reshape(3, 32, 32).transpose(1, 2, 0)
    assert (np.asarray(img) == expect).all()
    assert train.data.shape == ((3 if hundred else 15), 32, 32, 3)
    assert train.classes[4] == "class4" and train.class_to_idx["class4"] == 4
    x, _ = cls(str(tmp_path), train=False, transform=transforms.ToTensor())[0]
    assert tuple(x.shape) == (3, 32, 32)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_cifar_refuses_code_and_bad_batches(tmp_path):
    folder, _ = _write_cifar(tmp_path)
    with open(folder / "test_batch", "wb") as f:
        pickle.dump({"data": _Evil(), "labels": [0]}, f, protocol=2)
    with pytest.raises(ValueError, match="not plain data"):
        datasets.CIFAR10(str(tmp_path), train=False)
    with open(folder / "test_batch", "wb") as f:
        pickle.dump({"data": np.zeros((2, 100), np.uint8), "labels": [0, 1]}, f, protocol=2)
    with pytest.raises(ValueError, match=r"\(N, 3072\)"):
        datasets.CIFAR10(str(tmp_path), train=False)
    (folder / "test_batch").write_bytes(b"\x80\x02}q")
    with pytest.raises(ValueError, match="not a valid CIFAR batch"):
        datasets.CIFAR10(str(tmp_path), train=False)
    os.remove(folder / "test_batch")
    with pytest.raises(RuntimeError, match="cannot download CIFAR10"):
        datasets.CIFAR10(str(tmp_path), train=False, download=True)


def _write_folder(root):
    rng = np.random.default_rng(2)
    for cls, count in (("cat", 2), ("dog", 3)):
        (root / cls).mkdir(parents=True)
        for i in range(count):
            Image.fromarray(rng.integers(0, 256, (5, 6, 3), dtype=np.uint8)).save(
                root / cls / f"{i}.png")
    (root / "dog" / "notes.txt").write_text("not an image")


def test_image_folder(tmp_path):
    _write_folder(tmp_path)
    data = datasets.ImageFolder(str(tmp_path), transform=transforms.ToTensor())
    assert data.classes == ["cat", "dog"] and data.class_to_idx == {"cat": 0, "dog": 1}
    assert len(data) == 5 and data.targets == [0, 0, 1, 1, 1]
    assert data.imgs == data.samples and data.samples[2][0].endswith(os.path.join("dog", "0.png"))
    x, y = data[3]
    assert tuple(x.shape) == (3, 5, 6) and y == 1
    raw = datasets.ImageFolder(str(tmp_path))[0][0]
    assert raw.mode == "RGB"
    only_first = datasets.ImageFolder(str(tmp_path), is_valid_file=lambda p: p.endswith("0.png"))
    assert len(only_first) == 2
    txt = datasets.DatasetFolder(str(tmp_path), loader=lambda p: open(p).read(),
                                 extensions=(".txt",), allow_empty=True)
    assert len(txt) == 1 and txt[0] == ("not an image", 1)
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes cat"):
        datasets.DatasetFolder(str(tmp_path), loader=open, extensions=(".txt",))
    with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
        datasets.DatasetFolder(str(tmp_path), loader=open, extensions=(".png",),
                               is_valid_file=lambda p: True)
    loader = DataLoader(data, batch_size=2)
    xb, yb = next(iter(loader))
    assert tuple(xb.shape) == (2, 3, 5, 6) and yb.tolist() == [0, 0]


def test_fake_data_matches_torch_stream():
    data = datasets.FakeData(size=4, image_size=(3, 5, 6), num_classes=7, random_offset=3,
                             transform=transforms.PILToTensor())
    ember.manual_seed(99)
    before = ember.rand(1).item()
    ember.manual_seed(99)
    img, target = data[2]
    assert ember.rand(1).item() == before  # the global stream is untouched
    torch.manual_seed(5)
    timg = torch.randn(3, 5, 6)
    ttarget = torch.randint(0, 7, size=(1,), dtype=torch.long)[0].item()
    assert target == ttarget and type(target) is int
    # torchvision's ToPILImage: (x * 255).to(uint8); compare where that cast is defined
    scaled = (timg * 255).numpy()
    valid = (scaled >= 0) & (scaled < 256)
    assert valid.sum() > 10
    assert (img.numpy()[valid] == scaled[valid].astype(np.uint8)).all()
    assert len(data) == 4
    with pytest.raises(IndexError):
        data[4]
