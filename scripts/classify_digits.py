#!/usr/bin/python3
"""Asks a running `switchyard serve --models models` to classify handwritten
digits it was not trained on (scikit-learn's digits, the held-out fifth that
scripts/export_models.py kept aside), over the Open Inference Protocol, and
prints what it answered.

  /usr/bin/python3 scripts/classify_digits.py --url http://127.0.0.1:8080 [--count 20]
"""
import argparse
import json
import os
import sys
import urllib.error
import urllib.request

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_models import SEED, digits_as_images  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:8080", help="the server (default %(default)s)")
    ap.add_argument("--model", default="mobilenet_v2")
    ap.add_argument("--count", type=int, default=20, help="held-out digits to send (default %(default)s)")
    args = ap.parse_args()

    x, y = digits_as_images()
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(SEED))
    x, y = x[order], y[order]
    split = len(y) * 4 // 5
    held_x, held_y = x[split:split + args.count], y[split:split + args.count]

    right = 0
    for image, label in zip(held_x, held_y):
        body = {"inputs": [{"name": "INPUT__0", "shape": [1, 3, 32, 32], "datatype": "FP32",
                            "data": image.flatten().tolist()}]}
        req = urllib.request.Request(args.url + "/v2/models/%s/infer" % args.model, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                reply = json.load(r)
        except urllib.error.HTTPError as e:
            sys.exit("classify_digits: %d %s" % (e.code, e.read().decode()))
        except OSError as e:
            sys.exit("classify_digits: cannot reach %s: %s" % (args.url, e))
        logits = reply["outputs"][0]["data"]
        guess = max(range(len(logits)), key=logits.__getitem__)
        right += guess == int(label)
        print("digit %d -> %d %s" % (int(label), guess, "" if guess == int(label) else "(wrong)"))
    print("%d of %d held-out digits classified right by %s" % (right, len(held_y), args.model))


if __name__ == "__main__":
    main()
