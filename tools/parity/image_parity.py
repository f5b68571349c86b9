#!/usr/bin/python3
"""Golden values for pnet's image-pipeline parity test (ImagePipelineParityTest): what PyTorch,
torchvision's conventions and Pillow make of the same pixels in each resize pnet does.

The image is a textured 120x90 RGB picture (noise, stripes at several frequencies and a
gradient: detail that shows aliasing), stored as PNG so both sides start from the same pixels.
Cases (pnet side in parentheses):
- crop_up: a random-resized-crop box enlarged to 32x32, bilinear (RgbImage.cropResize, training)
  against F.interpolate(bilinear, align_corners=False, antialias=False), torchvision's tensor path;
- crop_down: a box shrunk to 32x32 against F.interpolate(antialias=True) (torchvision >= 0.17's
  default) and Pillow's BILINEAR;
- eval: the shorter side to floor(32 / 0.875) = 36, centre crop 32 (ImageTransforms.eval) against
  torchvision's Resize(36) + CenterCrop(32) on a PIL image (Pillow BILINEAR, antialiased);
- ingest: the shorter side to 64 (ImageProcessor at --resize 64, scale 0.71) against Pillow's
  BILINEAR resize, what a Python ingest script would do.
Writes <out>/image_parity.png and <out>/image_parity.json (each case's box, sizes and the
reference pixels as float lists, RGB, row-major).

  tools/parity/image_parity.py [--out pipeline/src/test/resources/parity]
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


def picture():
    g = np.random.default_rng(3)
    h, w = 90, 120
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.zeros((h, w, 3))
    img[..., 0] = 128 + 60 * np.sin(x / 1.3) + 30 * np.cos(y / 4.0)
    img[..., 1] = 90 + 1.2 * x + 40 * np.sin((x + y) / 2.1)
    img[..., 2] = 200 - 1.5 * y + 50 * np.sign(np.sin(x / 3.0))
    img += g.normal(0, 12, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def tensor(pixels):
    return torch.from_numpy(pixels.astype(np.float64)).permute(2, 0, 1)[None]


def interpolate(pixels, box, out, antialias):
    x, y, w, h = box
    t = tensor(pixels)[:, :, y:y + h, x:x + w]
    r = F.interpolate(t, size=(out, out), mode="bilinear", align_corners=False, antialias=antialias)
    return r[0].permute(1, 2, 0).numpy()


def pil_resize(pixels, size):
    return np.asarray(Image.fromarray(pixels).resize(size, Image.BILINEAR), np.float64)


def cases(pixels):
    h, w = pixels.shape[:2]
    up = (17, 9, 27, 22)
    down = (5, 3, 96, 80)
    out = {
        "crop_up": {"box": up, "size": [32, 32],
                    "torch": interpolate(pixels, up, 32, False)},
        "crop_down": {"box": down, "size": [32, 32],
                      "torch": interpolate(pixels, down, 32, True),
                      "pillow": pil_resize(pixels[3:83, 5:101], (32, 32))},
    }
    # torchvision Resize(36) keeps the aspect ratio: the shorter side to 36, the longer truncated
    short = 36
    ew, eh = int(short * w / h), short
    resized = pil_resize(pixels, (ew, eh))
    top, left = int(round((eh - 32) / 2.0)), int(round((ew - 32) / 2.0))
    out["eval"] = {"size": [32, 32], "pillow": resized[top:top + 32, left:left + 32]}
    iw, ih = int(round(w * 64 / h)), 64
    out["ingest"] = {"size": [iw, ih], "pillow": pil_resize(pixels, (iw, ih))}
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default="pipeline/src/test/resources/parity")
    a = p.parse_args()
    pixels = picture()
    Image.fromarray(pixels).save(os.path.join(a.out, "image_parity.png"))
    meta = {}
    for name, case in cases(pixels).items():
        meta[name] = {k: (np.round(v, 4).reshape(-1).tolist() if isinstance(v, np.ndarray) else list(v))
                      for k, v in case.items()}
    with open(os.path.join(a.out, "image_parity.json"), "w") as f:
        json.dump(meta, f)
    print(json.dumps({k: list(v.keys()) for k, v in meta.items()}))


if __name__ == "__main__":
    main()
