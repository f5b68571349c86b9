#!/usr/bin/env python3
"""The straightforward Pillow version of ingest's per-image work, timed on one core.

Run by `bin/pnet bench ingest` (before and after its own figures, on the same files). By hand:
       bin/pnet bench ingest --keep /tmp/bench-jpegs
       python3 pillow_ingest_baseline.py /tmp/bench-jpegs [--resize 256] [--quality 90] [--rounds 3]

Needs Pillow (Debian: apt-get install python3-pil). Reads every file into memory first, then for
each: open, convert to RGB, resize the shorter side (bilinear, Pillow's default reducing filter
off), encode JPEG, the same transform `pnet bench ingest` times.
"""
import argparse
import io
import os
import time

from PIL import Image


def process(data, resize, quality):
    image = Image.open(io.BytesIO(data)).convert("RGB")
    width, height = image.size
    scale = resize / min(width, height)
    image = image.resize((round(width * scale), round(height * scale)), Image.BILINEAR)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--resize", type=int, default=256)
    parser.add_argument("--quality", type=int, default=90)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    files = sorted(os.listdir(args.folder))
    inputs = [open(os.path.join(args.folder, f), "rb").read() for f in files]
    for data in inputs[:20]:
        process(data, args.resize, args.quality)
    start = time.perf_counter()
    for _ in range(args.rounds):
        for data in inputs:
            process(data, args.resize, args.quality)
    seconds = time.perf_counter() - start
    count = len(inputs) * args.rounds
    print(f"pillow baseline: {count} images -> {count / seconds:.1f} images/s on one core "
          f"({1000 * seconds / count:.2f} ms/image), Pillow {Image.__version__}")


if __name__ == "__main__":
    main()
