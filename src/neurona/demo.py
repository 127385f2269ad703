"""The engine on its own: softmax regression on Iris with raw Tensors and ``backward()``.

    python -m neurona.demo

No layers, no optimiser class: a weight matrix, a bias, the fused softmax cross-entropy, and a
gradient-descent step written out by hand. It prints the loss per epoch and the test accuracy.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import neurona as nr
import neurona.functional as F


def main(epochs: int = 100, lr: float = 0.5, seed: int = 0) -> float:
    nr.manual_seed(seed)
    iris = load_iris()
    X_train, X_test, y_train, y_test = train_test_split(
        iris.data, iris.target, test_size=0.3, stratify=iris.target, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)  # fitted on the training split only
    X_train, X_test = nr.tensor(scaler.transform(X_train)), nr.tensor(scaler.transform(X_test))
    y_train, y_test = nr.tensor(y_train), nr.tensor(y_test)

    W = (nr.randn(3, 4) * 0.01).requires_grad_()
    b = nr.zeros(3, requires_grad=True)
    print(f"softmax regression on Iris: {len(X_train)} train / {len(X_test)} test samples, lr={lr}")
    for epoch in range(1, epochs + 1):
        loss = F.cross_entropy(X_train @ W.T + b, y_train)  # forward: logits -> mean cross-entropy
        W.grad = b.grad = None
        loss.backward()  # backward: d loss / d W and d loss / d b
        with nr.no_grad():  # gradient descent step, not recorded in the graph
            W.data -= lr * W.grad.data
            b.data -= lr * b.grad.data
        if epoch == 1 or epoch % 10 == 0:
            print(f"epoch {epoch:3d}  loss {loss.item():.4f}")
    with nr.no_grad():
        predicted = (X_test @ W.T + b).argmax(1)
    accuracy = float(np.mean(predicted.numpy() == y_test.numpy()))
    print(f"test accuracy: {accuracy:.3f}")
    return accuracy


if __name__ == "__main__":
    main()
