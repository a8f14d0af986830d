"""PyTorch reference for casting-defects' training throughput: the paper's CNN (gray), the same layers, batch, loss
and optimiser as CastingDefects.ML.Training: a warm-up epoch over random images, then EPOCHS timed epochs of which
the fastest counts.

usage: python3 paper_cnn_training.py SIZE THREADS IMAGES BATCH [EPOCHS]
prints one JSON line: {"framework", "version", "image_size", "threads", "batch", "images", "seconds", "images_per_second"}
"""
import json
import sys
import time

import torch
from torch import nn


def paper_cnn():
    # Keras's BatchNormalization(momentum=0.99, epsilon=1e-3) is PyTorch's BatchNorm2d(momentum=0.01, eps=1e-3).
    return nn.Sequential(
        nn.Conv2d(1, 16, 3), nn.ReLU(), nn.BatchNorm2d(16, eps=1e-3, momentum=0.01), nn.MaxPool2d(2),
        nn.Conv2d(16, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3), nn.ReLU(), nn.BatchNorm2d(8, eps=1e-3, momentum=0.01),
        nn.Conv2d(8, 8, 3), nn.ReLU(), nn.BatchNorm2d(8, eps=1e-3, momentum=0.01),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 1))


def epoch(model, optimiser, loss_fn, x, y, batch):
    model.train()
    order = torch.randperm(x.shape[0])
    for start in range(0, x.shape[0], batch):
        index = order[start:start + batch]
        optimiser.zero_grad()
        loss = loss_fn(model(x[index]).squeeze(1), y[index])
        loss.backward()
        optimiser.step()


def main():
    size, threads, images, batch = (int(a) for a in sys.argv[1:5])
    epochs = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    x = torch.rand(images, 1, size, size)
    y = (torch.arange(images) % 2 == 0).float()
    model = paper_cnn()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    epoch(model, optimiser, loss_fn, x, y, batch)  # warm-up: allocator, oneDNN primitives
    seconds = float("inf")
    for _ in range(epochs):
        start = time.perf_counter()
        epoch(model, optimiser, loss_fn, x, y, batch)
        seconds = min(seconds, time.perf_counter() - start)
    print(json.dumps({"framework": "pytorch", "version": torch.__version__, "image_size": size, "threads": threads,
                      "batch": batch, "images": images, "seconds": seconds, "images_per_second": images / seconds}))


if __name__ == "__main__":
    main()
