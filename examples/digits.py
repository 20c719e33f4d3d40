"""Real handwritten digits with ember: a small LeNet-style CNN, written as a PyTorch program.

By default it trains on the 1,797 8x8 digit images that ship with scikit-learn
(sklearn.datasets.load_digits), through ember.vision transforms and an ember DataLoader, with a
tqdm progress bar per epoch.  It prints the test accuracy, saves the model with ember.save,
reloads it into a fresh model and checks the accuracy again, and draws the loss/accuracy curves
with matplotlib.

    python examples/digits.py                          # scikit-learn's digits
    python examples/digits.py --data mnist --root DIR  # DIR/MNIST/raw/*-ubyte(.gz) files

The only lines that differ from the PyTorch original are the imports.
"""

import argparse
import os
import tempfile
import time

import numpy as np

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
import ember.optim as optim
from ember.utils.data import DataLoader, Dataset
from ember.vision import datasets, transforms

# NOTE: this model's matrices are small; BLAS threads then spend more time waiting for each
# other than computing, and on a busy machine a multithreaded matmul can be 100x slower.
torch.set_num_threads(1)

try:
    from tqdm import tqdm
except ImportError:  # the demo extra installs tqdm; run without a bar if it is missing
    def tqdm(iterable, **kwargs):
        return iterable


class DigitsDataset(Dataset):
    """scikit-learn's digits as 8x8 uint8 images (values 0..16 scaled to 0..255)."""

    def __init__(self, images, labels, transform=None):
        self.images = images
        self.labels = labels
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        image = self.images[index]
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.labels[index])


class LeNet(nn.Module):
    """conv(1->16, 3x3) -> relu -> maxpool 2 -> conv(16->32, 3x3) -> relu -> maxpool 2
    -> linear(64) -> relu -> dropout -> linear(10)."""

    def __init__(self, image_size=8, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        side = image_size // 4
        self.fc1 = nn.Linear(32 * side * side, 64)
        self.dropout = nn.Dropout(0.25)
        self.fc2 = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = self.dropout(F.relu(self.fc1(x)))
        return self.fc2(x)


def load_sklearn_digits(seed):
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images * (255.0 / 16.0)).round().astype(np.uint8)
    order = np.random.default_rng(seed).permutation(len(images))
    split = int(0.8 * len(images))
    train, test = order[:split], order[split:]
    mean, std = (0.3,), (0.4,)
    train_tf = transforms.Compose([
        transforms.ToTensor(),
        transforms.RandomAffine(degrees=8, translate=(0.1, 0.1)),
        transforms.Normalize(mean, std),
    ])
    test_tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])
    return (DigitsDataset(images[train], digits.target[train], train_tf),
            DigitsDataset(images[test], digits.target[test], test_tf), 8)


def load_mnist(root):
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    return (datasets.MNIST(root, train=True, transform=tf),
            datasets.MNIST(root, train=False, transform=tf), 28)


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in loader:
            predicted = model(images).argmax(dim=1)
            correct += int((predicted == labels).sum())
            total += len(labels)
    return correct / max(total, 1)


def plot_curves(losses, accuracies, path):
    try:
        import matplotlib
    except ImportError:  # the demo extra installs matplotlib
        print("(matplotlib is not installed: no curve image; pip install matplotlib)")
        return False

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    epochs = range(1, len(losses) + 1)
    left.plot(epochs, losses, marker="o")
    left.set_xlabel("epoch")
    left.set_ylabel("training loss")
    right.plot(epochs, [100 * a for a in accuracies], marker="o", color="tab:green")
    right.set_xlabel("epoch")
    right.set_ylabel("test accuracy (%)")
    fig.suptitle("ember: LeNet on handwritten digits")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def main(data="digits", root=None, epochs=12, batch_size=32, lr=0.003, seed=0, outdir=None,
         plot=True, progress=True):
    torch.manual_seed(seed)
    if data == "mnist":
        if root is None:
            raise SystemExit("--data mnist needs --root DIR (with DIR/MNIST/raw/*-ubyte files)")
        train_set, test_set, image_size = load_mnist(root)
    else:
        train_set, test_set, image_size = load_sklearn_digits(seed)
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=256)

    model = LeNet(image_size)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    losses, accuracies = [], []
    start = time.time()
    for epoch in range(epochs):
        model.train()
        running, batches = 0.0, 0
        bar = tqdm(train_loader, desc=f"epoch {epoch + 1}/{epochs}", leave=False,
                   disable=not progress)
        for images, labels in bar:
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            running += loss.item()
            batches += 1
        scheduler.step()
        losses.append(running / batches)
        accuracies.append(evaluate(model, test_loader))
        print(f"epoch {epoch + 1:2d}: loss {losses[-1]:.4f}  test accuracy "
              f"{100 * accuracies[-1]:.2f}%")
    accuracy = accuracies[-1]
    print(f"test accuracy: {100 * accuracy:.2f}% on {len(test_set)} images "
          f"({time.time() - start:.1f} s)")

    outdir = outdir or os.path.join(tempfile.gettempdir(), "ember_digits")
    os.makedirs(outdir, exist_ok=True)
    checkpoint = os.path.join(outdir, "lenet_digits.pt")
    torch.save(model.state_dict(), checkpoint)
    reloaded = LeNet(image_size)
    reloaded.load_state_dict(torch.load(checkpoint))
    reloaded_accuracy = evaluate(reloaded, test_loader)
    print(f"saved to {checkpoint}; reloaded model's test accuracy: "
          f"{100 * reloaded_accuracy:.2f}%")
    if reloaded_accuracy != accuracy:
        raise SystemExit("the reloaded model does not give the same accuracy")
    if plot:
        curve = os.path.join(outdir, "digits_curves.png")
        if plot_curves(losses, accuracies, curve):
            print(f"loss/accuracy curves: {curve}")
    return accuracy, reloaded_accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=["digits", "mnist"], default="digits")
    parser.add_argument("--root", help="folder holding MNIST/raw/ (for --data mnist)")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--outdir", help="where the checkpoint and the plot go")
    args = parser.parse_args()
    main(args.data, args.root, args.epochs, outdir=args.outdir)
