#!/usr/bin/python3
"""pnet against PyTorch on real data, same recipe, same seeds: Fashion-MNIST from Debian's
dataset-fashion-mnist (photographs of clothing, 10 classes).

Data: the first --train-per-class images of each class of the official training split and the
first --val images of the test split, grey copied to RGB, written as JPEG (quality --jpeg) into
class folders n00000000..n00000009 (pnet ingest's `folders` format), once, under --work.
pnet ingests them with --resize 32 (by default) and trains with `bin/pnet pretrain`; the PyTorch
peer reads the same JPEG files with Pillow, resizes them bilinearly to 32x32 and trains the
same network (torch_ghostnet.py; pnet's ghostnet_small_64 at 32x32 is GhostNet-300M's table at
width 0.5) with the same recipe, which is pnet's: AdamW (PyTorch's; weight decay on weights only,
timm's grouping), timm's cosine schedule per update after a linear warm-up from warmup-lr, label
smoothing, dropout before the classifier, random resized crop (scale 0.5-1, ratio 3/4-4/3,
bilinear), no flip, RandAugment, erasing or EMA; evaluation on the whole 32x32 image.

Prints one JSON line per run and epoch, then a Markdown table: per seed and side, val top-1 after
each epoch and the last epoch's mean training loss, and the means. Runs are cached in --work
(delete a run's .json to redo it). Needs python3-torch, python3-pil, dataset-fashion-mnist; run
with /usr/bin/python3 from the repository root:

  tools/parity/fashion_mnist.py --work /tmp/fmnist --seeds 0 1 2
"""
import argparse
import gzip
import io
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_ghostnet import MEAN, STD, Net, timm_cosine  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def idx(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


def build(a):
    """Class folders of JPEG files, written once."""
    src = os.path.join(a.work, "src")
    if os.path.exists(os.path.join(src, "done")):
        return src
    ti, tl = idx("train-images-idx3-ubyte.gz"), idx("train-labels-idx1-ubyte.gz")
    vi, vl = idx("t10k-images-idx3-ubyte.gz"), idx("t10k-labels-idx1-ubyte.gz")
    keep = np.concatenate([np.flatnonzero(tl == c)[:a.train_per_class] for c in range(10)])
    for split, images, labels in (("train", ti[keep], tl[keep]), ("val", vi[:a.val], vl[:a.val])):
        for c in range(10):
            os.makedirs(os.path.join(src, split, "n%08d" % c), exist_ok=True)
        for i, (img, label) in enumerate(zip(images, labels)):
            path = os.path.join(src, split, "n%08d" % label, "%05d.JPEG" % i)
            Image.fromarray(img).convert("RGB").save(path, "JPEG", quality=a.jpeg)
    open(os.path.join(src, "done"), "w").close()
    return src


def load_folder(folder, res, reencode=0):
    """Every JPEG of the class folders, bilinear to res x res, normalised as pnet does; with
    reencode=Q each resized image goes through a JPEG round trip at quality Q, as pnet's ingest
    stores it."""
    xs, ys = [], []
    for c, wnid in enumerate(sorted(os.listdir(folder))):
        for name in sorted(os.listdir(os.path.join(folder, wnid))):
            im = Image.open(os.path.join(folder, wnid, name)).convert("RGB")
            im = im.resize((res, res), Image.BILINEAR)
            if reencode:
                b = io.BytesIO()
                im.save(b, "JPEG", quality=reencode)
                im = Image.open(io.BytesIO(b.getvalue())).convert("RGB")
            xs.append(np.asarray(im, np.float32) / 255.0)
            ys.append(c)
    x = (np.stack(xs) - MEAN) / STD
    return torch.tensor(x).permute(0, 3, 1, 2).contiguous(), torch.tensor(ys)


def rrc(x, res, g, scale=(0.5, 1.0), ratio=(3 / 4, 4 / 3)):
    """torchvision's RandomResizedCrop on a batch of tensors, bilinear (no antialiasing)."""
    out = []
    for img in x:
        w = h = res
        for _ in range(10):
            area = res * res * (scale[0] + (scale[1] - scale[0]) * torch.rand(1, generator=g).item())
            r = math.exp(math.log(ratio[0]) + math.log(ratio[1] / ratio[0]) * torch.rand(1, generator=g).item())
            cw, ch = int(round(math.sqrt(area * r))), int(round(math.sqrt(area / r)))
            if 0 < cw <= res and 0 < ch <= res:
                w, h = cw, ch
                break
        i = torch.randint(0, res - h + 1, (1,), generator=g).item()
        j = torch.randint(0, res - w + 1, (1,), generator=g).item()
        out.append(F.interpolate(img[None, :, i:i + h, j:j + w], size=(res, res), mode="bilinear",
                                 align_corners=False))
    return torch.cat(out)


def peer(a, src, seed):
    torch.manual_seed(seed)
    torch.set_num_threads(2)
    X, Y = load_folder(os.path.join(src, "train"), a.res, a.peer_reencode)
    VX, VY = load_folder(os.path.join(src, "val"), a.res, a.peer_reencode)
    net = Net(a.model, 10, dropout=a.dropout)
    decay = [p for p in net.parameters() if p.ndim > 1]
    rest = [p for p in net.parameters() if p.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay},
                             {"params": rest, "weight_decay": 0.0}], lr=a.lr)
    per = math.ceil(len(X) / a.batch)
    total, warmup = a.epochs * per, round(a.warmup_epochs * per)
    g = torch.Generator().manual_seed(seed)
    epochs, step, t0 = [], 0, time.time()
    for ep in range(a.epochs):
        net.train()
        perm = torch.randperm(len(X), generator=g)
        losses = []
        for k in range(per):
            batch = perm[k * a.batch:(k + 1) * a.batch]
            for group in opt.param_groups:
                group["lr"] = timm_cosine(step, a.lr, a.warmup_lr, a.min_lr, warmup, total)
            loss = F.cross_entropy(net(rrc(X[batch], a.res, g)), Y[batch], label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            step += 1
        net.eval()
        with torch.no_grad():
            hits = sum((net(VX[i:i + 500]).argmax(1) == VY[i:i + 500]).sum().item()
                       for i in range(0, len(VX), 500))
        epochs.append({"epoch": ep + 1, "train_loss": float(np.mean(losses)),
                       "val_top1": 100.0 * hits / len(VX), "seconds": time.time() - t0})
    return epochs


def pnet_cmd(*args):
    subprocess.run([os.path.join(ROOT, "bin", "pnet"), *args], check=True,
                   stdout=subprocess.DEVNULL)


def pnet(a, src, seed):
    data = {}
    for split in ("train", "val"):
        out = os.path.join(a.work, "pnet-%s-r%d-q%d" % (split, a.ingest_resize, a.ingest_quality))
        if not os.path.exists(os.path.join(out, "_dataset.json")):
            pnet_cmd("ingest", "--format", "folders", "--source", "file://" + os.path.join(src, split),
                     "--out", "file://" + out, "--resize", str(a.ingest_resize),
                     "--jpeg-quality", str(a.ingest_quality))
        data[split] = "file://" + out
    out = os.path.join(a.work, "pnet-run-%s-s%d-%d" % (a.model, seed, int(time.time())))
    sets = {"model": a.model, "resolution": a.res, "data.path": data["train"],
            "data.val-path": data["val"], "data.val-split": "train", "out": "file://" + out,
            "epochs": a.epochs, "seed": seed, "workers": a.workers,
            "batch-per-worker": a.batch // a.workers,
            "averaging-frequency": a.frequency, "optimizer.lr": a.lr,
            "optimizer.weight-decay": a.weight_decay, "schedule.warmup-epochs": a.warmup_epochs,
            "schedule.warmup-lr": a.warmup_lr, "schedule.min-lr": a.min_lr,
            "label-smoothing": 0.1, "dropout": a.dropout, "ema-decay": 0,
            "augment.scale-min": 0.5, "augment.flip": 0, "augment.rand-augment": '""',
            "augment.random-erasing": 0, "augment.eval-crop": 1}
    args = ["pretrain", "--config", os.path.join(ROOT, "conf", "experiments", "scratch-1k.conf")]
    for k, v in sets.items():
        args += ["--set", "%s=%s" % (k, v)]
    t0 = time.time()
    pnet_cmd(*args)
    epochs = []
    metrics = os.path.join(out, "metrics")
    for name in sorted(os.listdir(metrics)):
        if name.startswith("epochs-"):
            for line in open(os.path.join(metrics, name)):
                e = json.loads(line)
                epochs.append({"epoch": e["epoch"] + 1, "train_loss": e["loss"],
                               "val_top1": e["val_top1"], "seconds": e["seconds"]})
    epochs[-1]["total_seconds"] = time.time() - t0
    return epochs


def table(results, sides, seeds, epochs):
    lines = ["| side | seed | " + " | ".join("top-1 ep %d" % (e + 1) for e in range(epochs))
             + " | last epoch's train loss |", "|---|---:|" + "---:|" * (epochs + 1)]
    for side in sides:
        runs = [results[(side, s)] for s in seeds]
        for s, run in zip(seeds, runs):
            lines.append("| %s | %d | " % (side, s) + " | ".join("%.2f" % e["val_top1"] for e in run)
                         + " | %.4f |" % run[-1]["train_loss"])
        mean = lambda key, e: float(np.mean([r[e][key] for r in runs]))  # noqa: E731
        lines.append("| %s | mean | " % side
                     + " | ".join("**%.2f**" % mean("val_top1", e) for e in range(epochs))
                     + " | **%.4f** |" % mean("train_loss", epochs - 1))
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--work", required=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--sides", nargs="+", default=["pytorch", "pnet"], choices=["pytorch", "pnet"])
    p.add_argument("--model", default="ghostnet_small_64")
    p.add_argument("--res", type=int, default=32)
    p.add_argument("--ingest-resize", type=int, default=32, help="pnet ingest --resize")
    p.add_argument("--ingest-quality", type=int, default=90, help="pnet ingest --jpeg-quality")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--train-per-class", type=int, default=1000)
    p.add_argument("--val", type=int, default=2000)
    p.add_argument("--jpeg", type=int, default=90)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--frequency", type=int, default=1, help="pnet's averaging frequency")
    p.add_argument("--workers", type=int, default=1,
                   help="pnet's workers; each gets --batch / workers images a step")
    p.add_argument("--lr", type=float, default=4e-3)
    p.add_argument("--weight-decay", type=float, default=0.05)
    p.add_argument("--warmup-epochs", type=float, default=1)
    p.add_argument("--warmup-lr", type=float, default=1e-6)
    p.add_argument("--min-lr", type=float, default=1e-5)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--peer-reencode", type=int, default=0,
                   help="the peer's images through a JPEG round trip at this quality after resizing")
    p.add_argument("--tag", default="", help="names the cached runs of a variant")
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    src = build(a)
    results = {}
    for seed in a.seeds:
        for side in a.sides:
            cache = os.path.join(a.work, "%s-%s%s-s%d.json" % (side, a.model, a.tag, seed))
            if not os.path.exists(cache):
                run = peer(a, src, seed) if side == "pytorch" else pnet(a, src, seed)
                with open(cache, "w") as f:
                    json.dump(run, f)
            results[(side, seed)] = json.load(open(cache))
            print(json.dumps({"side": side, "seed": seed, "epochs": results[(side, seed)]}), flush=True)
    print(table(results, a.sides, a.seeds, a.epochs))


if __name__ == "__main__":
    main()
