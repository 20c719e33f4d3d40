"""The classic PyTorch linear-regression template, run by ember.

Learns y = 2x + 1 with one nn.Linear(1, 1), SGD and MSELoss.  The only line that differs from
the PyTorch original is the import.
"""

import numpy as np

import ember as torch
import ember.nn as nn
import ember.optim as optim


class LinearRegressionModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, x):
        return self.linear(x)


def main(epochs=1000, seed=0):
    torch.manual_seed(seed)
    x_values = np.arange(11, dtype=np.float32).reshape(-1, 1)
    y_values = (2 * x_values + 1).astype(np.float32)
    inputs = torch.from_numpy(x_values)
    labels = torch.from_numpy(y_values)

    model = LinearRegressionModel()
    criterion = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=0.01)

    for epoch in range(epochs):
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        if epoch % 50 == 0:
            print(f"Epoch: {epoch}, Loss: {loss.item()}")

    weight = model.linear.weight.item()
    bias = model.linear.bias.item()
    print(f"Learned weight: {weight:.4f}, bias: {bias:.4f} (true: 2, 1)")
    return weight, bias


if __name__ == "__main__":
    main()
