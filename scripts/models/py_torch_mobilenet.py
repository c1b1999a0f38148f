"""py_torch_mobilenet: MobileNetV2 in eager PyTorch, with the weights of the
TorchScript model exported beside it (scripts/export_models.py writes this
file, weights.pt and config.toml from one trained network).

Eager PyTorch releases the GIL inside each operator and holds it between
them: the Python module tree, the dispatcher's Python side and the argument
parsing run under the GIL, the convolutions run without it.
"""
import os

import torch
import torchvision


class Model:
    def __init__(self, config):
        saved = torch.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights.pt"))
        self.net = torchvision.models.mobilenet_v2(num_classes=10, width_mult=saved["width"])
        self.net.load_state_dict(saved["state_dict"])
        self.net.eval()

    def infer(self, inputs):
        with torch.inference_mode():
            logits = self.net(torch.as_tensor(inputs["INPUT__0"]))
        return {"OUTPUT__0": logits.numpy()}
