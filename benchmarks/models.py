"""Models of the nn issue's benchmarks, written once for either library (``lib`` is ember or
torch), and their training steps.  Each ``*_step(lib)`` returns a function running one step."""

import numpy as np


def _batch(lib, shape, classes, seed=0):
    rng = np.random.default_rng(seed)
    x = lib.tensor(rng.normal(size=shape).astype(np.float32))
    y = lib.tensor(rng.integers(0, classes, size=shape[0]))
    return x, y


def _training_step(lib, model, optimizer, x, y):
    criterion = lib.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()

    return step


def mlp_adam_step(lib):
    """MLP 784-256-128-10 with Adam, batch 128."""
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 10))
    x, y = _batch(lib, (128, 784), 10)
    return _training_step(lib, model, lib.optim.Adam(model.parameters(), lr=1e-3), x, y)


def lenet5(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


def lenet5_step(lib):
    """LeNet-5 on 1x28x28, batch 64, SGD with momentum."""
    lib.manual_seed(0)
    model = lenet5(lib)
    x, y = _batch(lib, (64, 1, 28, 28), 10)
    return _training_step(lib, model, lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9),
                          x, y)


def resnet18_cifar(lib, num_classes=10):
    """ResNet-18 for 32x32 images: a 3x3 stem without max-pooling, then 4 stages of 2 basic
    blocks (64, 128, 256, 512 channels), global average pooling and a linear classifier."""
    nn = lib.nn

    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = nn.Sequential()
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                              nn.BatchNorm2d(cout))

        def forward(self, x):
            out = self.bn1(self.conv1(x)).relu()
            out = self.bn2(self.conv2(out))
            return (out + self.shortcut(x)).relu()

    class ResNet18(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            layers, cin = [], 64
            for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
                layers.append(nn.Sequential(BasicBlock(cin, cout, stride),
                                            BasicBlock(cout, cout, 1)))
                cin = cout
            self.layers = nn.Sequential(*layers)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(512, num_classes)

        def forward(self, x):
            x = self.bn1(self.conv1(x)).relu()
            x = self.pool(self.layers(x)).flatten(1)
            return self.fc(x)

    return ResNet18()


def resnet18_step(lib):
    """ResNet-18 (CIFAR variant) on 3x32x32, batch 32, SGD with momentum."""
    lib.manual_seed(0)
    model = resnet18_cifar(lib)
    x, y = _batch(lib, (32, 3, 32, 32), 10)
    return _training_step(lib, model, lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9),
                          x, y)


def transformer_step(lib):
    """2-layer TransformerEncoder, d_model 128, 4 heads, seq 64, batch 32, Adam."""
    nn = lib.nn
    lib.manual_seed(0)
    layer = nn.TransformerEncoderLayer(128, 4, dim_feedforward=512, dropout=0.1,
                                       batch_first=True)
    encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    head = nn.Linear(128, 10)
    params = list(encoder.parameters()) + list(head.parameters())
    optimizer = lib.optim.Adam(params, lr=1e-3)
    x, y = _batch(lib, (32, 64, 128), 10)
    criterion = nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss = criterion(head(encoder(x).mean(1)), y)
        loss.backward()
        optimizer.step()

    return step


def transformer_lm_step(lib):
    """The issue-16 language model: token + position embeddings, 2 pre-LN encoder layers with a
    causal mask (d 128, 4 heads, feed-forward 512, exact GELU), a 1000-word output layer;
    sequences of 64 tokens, batch 32, cross-entropy at every position, Adam."""
    nn = lib.nn
    lib.manual_seed(0)
    vocab, d, seq, batch = 1000, 128, 64, 32

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.tokens = nn.Embedding(vocab, d)
            self.positions = nn.Embedding(seq, d)
            layer = nn.TransformerEncoderLayer(d, 4, dim_feedforward=512, dropout=0.1,
                                               activation="gelu", batch_first=True,
                                               norm_first=True)
            self.layers = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(d)
            self.out = nn.Linear(d, vocab)

        def forward(self, idx, mask):
            x = self.tokens(idx) + self.positions(lib.arange(idx.shape[1]))
            return self.out(self.norm(self.layers(x, mask=mask, is_causal=True)))

    model = LM()
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    idx = lib.tensor(rng.integers(0, vocab, size=(batch, seq + 1)))
    inputs, targets = idx[:, :-1], idx[:, 1:]
    mask = nn.Transformer.generate_square_subsequent_mask(seq)
    criterion = nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        logits = model(inputs, mask)
        loss = criterion(logits.reshape(-1, vocab), targets.reshape(-1))
        loss.backward()
        optimizer.step()

    return step
