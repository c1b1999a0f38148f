#!/usr/bin/python3
"""Export switchyard's reference models as TorchScript, in a Triton-style
model repository: OUT/<name>/1/model.pt and OUT/<name>/config.toml.

Run with Debian's python3 (python3-torch, python3-torchvision, python3-sklearn):
    /usr/bin/python3 scripts/export_models.py --out models            # all
    /usr/bin/python3 scripts/export_models.py --out models --tiny-only # tests

Every model is built with a fixed seed, so the same command writes the same
weights. No weights are downloaded (none can be, here):

  mobilenet_v2       torchvision MobileNetV2, 10 classes, FP32 1x3x32x32 (the
                     CIFAR-10 shape). TRAINED briefly on scikit-learn's
                     handwritten digits (shipped inside python3-sklearn: 1,797
                     8x8 images, upscaled to 32x32, grey replicated to 3
                     channels), so its predictions mean something.
  distilbert_like    token embedding 30522x768, 6-layer transformer encoder
                     (d=768, 12 heads, feed-forward 3072), mean pooling,
                     2-class head; INT64 token ids 1x128. UNTRAINED, random
                     weights: architecture- and cost-faithful only.
  lstm_forecaster    2-layer LSTM (input 7, hidden 256) over a 336-step window,
                     linear head to 24 outputs; FP32 1x336x7 (the ETTh1
                     shape). UNTRAINED, random weights.
  tiny_*             small variants of each (same inputs and outputs, tiny
                     widths) for fast tests; untrained except tiny_mobilenet,
                     which gets the same short training.

With each MobileNet, the same trained network as a Python model (issue 15,
docs/python-models.md): py_torch_mobilenet (py_torch_tiny_mobilenet) runs it
in eager PyTorch. It goes into the Python reference models, python_models/
(--twins-out to put it elsewhere): TWINS/py_torch_mobilenet/1/model.py (from
scripts/models/py_torch_mobilenet.py), 1/weights.pt (the state dict and the
width), config.toml -- so TorchScript and eager Python serve one set of
weights, and `serve --models python_models` has all six Python models.
"""
import argparse
import os
import sys
import time

import torch
from torch import nn

SEED = 20261124
HERE = os.path.dirname(os.path.abspath(__file__))
# The eager Python twin of each MobileNet: same network, same weights.
PYTHON_TWINS = {"mobilenet_v2": "py_torch_mobilenet", "tiny_mobilenet": "py_torch_tiny_mobilenet"}
MOBILENET_WIDTHS = {"mobilenet_v2": 1.0, "tiny_mobilenet": 0.25}


def log(msg):
    print(f"export_models: {msg}", file=sys.stderr, flush=True)


class TransformerClassifier(nn.Module):
    """Token ids -> embedding -> encoder -> mean over tokens -> classes."""

    def __init__(self, vocab, d_model, heads, ff, layers, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, d_model)
        layer = nn.TransformerEncoderLayer(d_model, heads, ff, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.encoder(self.embedding(tokens))
        return self.head(x.mean(dim=1))


class LstmForecaster(nn.Module):
    """A window of 7 features per step -> the next 24 values."""

    def __init__(self, hidden, layers, horizon):
        super().__init__()
        self.lstm = nn.LSTM(7, hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, horizon)

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(window)
        return self.head(out[:, -1, :])


def digits_as_images():
    """scikit-learn's digits as 3x32x32 FP32 images in [0, 1], and labels."""
    from sklearn.datasets import load_digits
    d = load_digits()
    x = torch.tensor(d.images, dtype=torch.float32).unsqueeze(1) / 16.0  # N x 1 x 8 x 8
    x = nn.functional.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False)
    return x.repeat(1, 3, 1, 1), torch.tensor(d.target, dtype=torch.int64)


def train_on_digits(model, epochs):
    """A short, deterministic training run; returns accuracy on a held-out fifth."""
    x, y = digits_as_images()
    g = torch.Generator().manual_seed(SEED)
    order = torch.randperm(len(y), generator=g)
    x, y = x[order], y[order]
    split = len(y) * 4 // 5
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for epoch in range(epochs):
        for i in range(0, split, 64):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x[i:i + 64]), y[i:i + 64])
            loss.backward()
            opt.step()
        log(f"  epoch {epoch + 1}/{epochs}: loss {loss.item():.3f}")
    model.eval()
    with torch.no_grad():
        accuracy = (model(x[split:]).argmax(1) == y[split:]).float().mean().item()
    return accuracy


def mobilenet(width):
    import torchvision
    return torchvision.models.mobilenet_v2(num_classes=10, width_mult=width)


def config_toml(inputs, outputs, note):
    lines = [f"# {note}"]
    for kind, specs in (("input", inputs), ("output", outputs)):
        for name, dtype, shape in specs:
            lines += [f"[[{kind}]]", f'name = "{name}"', f'datatype = "{dtype}"',
                      f"shape = [{', '.join(str(s) for s in shape)}]", ""]
    return "\n".join(lines)


def export(out, name, model, example, inputs, outputs, note):
    model.eval()
    with torch.no_grad():
        try:
            scripted = torch.jit.script(model)
        except Exception as e:  # noqa: BLE001 - some modules only trace
            log(f"  {name}: scripting failed ({e.__class__.__name__}); tracing instead")
            scripted = torch.jit.trace(model, example)
        scripted = torch.jit.freeze(scripted)
        expected = model(example)
        got = scripted(example)
        if not torch.allclose(expected, got, atol=1e-5):
            raise SystemExit(f"{name}: the TorchScript module disagrees with the eager one")
    directory = os.path.join(out, name, "1")
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, "model.pt.tmp")
    torch.jit.save(scripted, tmp)
    os.replace(tmp, os.path.join(directory, "model.pt"))
    with open(os.path.join(out, name, "config.toml"), "w") as f:
        f.write(config_toml(inputs, outputs, note))
    size = os.path.getsize(os.path.join(directory, "model.pt"))
    log(f"  {name}: {size / 1e6:.1f} MB")


def export_python_twin(out, name, model, inputs, outputs, note):
    """OUT/<twin>/: model.py running `model` in eager PyTorch, its weights, its config."""
    twin = PYTHON_TWINS[name]
    directory = os.path.join(out, twin, "1")
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, "weights.pt.tmp")
    torch.save({"width": MOBILENET_WIDTHS[name], "state_dict": model.state_dict()}, tmp)
    os.replace(tmp, os.path.join(directory, "weights.pt"))
    with open(os.path.join(HERE, "models", "py_torch_mobilenet.py")) as src, \
            open(os.path.join(directory, "model.py"), "w") as dst:
        dst.write(src.read())
    with open(os.path.join(out, twin, "config.toml"), "w") as f:
        f.write(config_toml(inputs, outputs, f"eager PyTorch, the weights of {name}: {note}"))
    log(f"  {twin}: eager twin of {name}")


def exported(out, twins_out, name):
    paths = [os.path.join(out, name, "1", "model.pt")]
    if name in PYTHON_TWINS:
        paths.append(os.path.join(twins_out, PYTHON_TWINS[name], "1", "weights.pt"))
    return all(os.path.exists(p) for p in paths)


def build(name, epochs):
    torch.manual_seed(SEED)
    if name in MOBILENET_WIDTHS:
        model = mobilenet(MOBILENET_WIDTHS[name])
        accuracy = train_on_digits(model, epochs)
        note = (f"torchvision MobileNetV2 (width {MOBILENET_WIDTHS[name]}), trained {epochs} "
                f"epochs on scikit-learn digits upscaled to 32x32: held-out accuracy {accuracy:.3f}")
        return (model, torch.rand(1, 3, 32, 32),
                [("INPUT__0", "FP32", [-1, 3, 32, 32])], [("OUTPUT__0", "FP32", [-1, 10])], note)
    if name in ("distilbert_like", "tiny_distilbert"):
        full = name == "distilbert_like"
        vocab, d, heads, ff, layers = (30522, 768, 12, 3072, 6) if full else (1000, 64, 4, 128, 2)
        model = TransformerClassifier(vocab, d, heads, ff, layers, 2)
        example = torch.randint(0, vocab, (1, 128), dtype=torch.int64)
        note = f"transformer encoder {layers}x(d={d}, {heads} heads, ff {ff}), vocabulary {vocab}: UNTRAINED"
        return (model, example, [("INPUT__0", "INT64", [-1, -1])], [("OUTPUT__0", "FP32", [-1, 2])], note)
    if name in ("lstm_forecaster", "tiny_lstm"):
        hidden, layers = (256, 2) if name == "lstm_forecaster" else (16, 1)
        model = LstmForecaster(hidden, layers, 24)
        note = f"LSTM {layers}x{hidden} over a window of 7 features, 24-step head: UNTRAINED"
        return (model, torch.rand(1, 336, 7),
                [("INPUT__0", "FP32", [-1, -1, 7])], [("OUTPUT__0", "FP32", [-1, 24])], note)
    raise SystemExit(f"unknown model {name}")


FULL = ["mobilenet_v2", "distilbert_like", "lstm_forecaster"]
TINY = ["tiny_mobilenet", "tiny_distilbert", "tiny_lstm"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="model repository directory (created)")
    p.add_argument("--tiny-only", action="store_true", help="only the tiny variants (for tests)")
    p.add_argument("--epochs", type=int, default=None,
                   help="training epochs of the image models (default: 8 for mobilenet_v2, about 40 s and "
                        "0.975 held-out accuracy; 3 for the tests' tiny_mobilenet)")
    p.add_argument("--force", action="store_true", help="rebuild models that already exist")
    p.add_argument("--only", action="append", choices=TINY + FULL, metavar="NAME",
                   help="export only this model (repeatable; a MobileNet brings its eager Python twin)")
    p.add_argument("--twins-out", metavar="DIR",
                   help="where the MobileNets' eager Python twins go (default: python_models/ in this "
                        "checkout, with the other Python reference models)")
    args = p.parse_args()
    twins_out = args.twins_out or os.path.join(HERE, "..", "python_models")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    names = args.only or (TINY if args.tiny_only else TINY + FULL)
    for name in names:
        if not args.force and exported(args.out, twins_out, name):
            log(f"{name}: present (--force to rebuild)")
            continue
        started = time.time()
        log(f"{name}: building")
        epochs = args.epochs if args.epochs is not None else (8 if name == "mobilenet_v2" else 3)
        model, example, inputs, outputs, note = build(name, epochs)
        export(args.out, name, model, example, inputs, outputs, note)
        if name in PYTHON_TWINS:
            export_python_twin(twins_out, name, model, inputs, outputs, note)
        log(f"{name}: done in {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
