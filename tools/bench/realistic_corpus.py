#!/usr/bin/env python3
"""Cuts a benchmark corpus like ImageNet's files from real photographs that Debian ships.

`pnet bench ingest --corpus DIR` times ingest on the files in DIR as they are. Smooth inputs decode
fast and flatter the code, so this corpus keeps only textured crops, at ImageNet's sizes and file
sizes (ILSVRC-2012's training set averages about 110 KB a file, mostly 500x375 and 500x333,
JPEG q85-96, 4:2:0). Every step is seeded, so the same sources give the same corpus.

    tools/bench/realistic-corpus.sh /tmp/pnet-photos      # downloads the Debian packages, runs this
    python3 realistic_corpus.py SOURCE_ROOT OUT_DIR [--images 400] [--seed 7]

Needs Pillow (Debian: python3-pil). A crop is: a photograph picked in turn, area-reduced by a
random factor between 1 and what still leaves room for the crop (camera photos reach ImageNet
downscaled, so their detail is dense), cut at a random place, encoded at a random quality of
88-96. Crops under MIN_BITS_PER_PIXEL at that quality (sky, blur, flat walls) are skipped: they
are the easy case. The script prints the corpus's size distribution; docs/commands/bench.md
quotes it.
"""
import argparse
import io
import os
import random
import statistics
import sys

from PIL import Image

# Real photographs in Debian bookworm's packages (paths under the extracted packages' root):
# textures, foliage, crowds, text, objects. Illustrations and renders are left out.
PHOTOGRAPHS = [
    "usr/share/backgrounds/mate/nature/Blinds.jpg",
    "usr/share/backgrounds/mate/nature/Dune.jpg",
    "usr/share/backgrounds/mate/nature/RainDrops.jpg",
    "usr/share/backgrounds/mate/nature/Storm.jpg",
    "usr/share/backgrounds/mate/nature/TwoWings.jpg",
    "usr/share/backgrounds/mate/nature/Wood.jpg",
    "usr/share/backgrounds/mate/nature/LadyBird.jpg",
    "usr/share/backgrounds/mate/nature/Garden.jpg",
    "usr/share/backgrounds/mate/nature/YellowFlower.jpg",
    "usr/share/backgrounds/mate/nature/GreenMeadow.jpg",
    "usr/share/wallpapers/Autumn/contents/images/2560x1600.jpg",
    "usr/share/wallpapers/BytheWater/contents/images/2560x1600.jpg",
    "usr/share/wallpapers/ColdRipple/contents/images/2560x1600.jpg",
    "usr/share/wallpapers/ColorfulCups/contents/images/2560x1600.jpg",
    "usr/share/wallpapers/EveningGlow/contents/images/2560x1600.jpg",
    "usr/share/wallpapers/FallenLeaf/contents/images/2560x1600.jpg",
    "usr/share/wallpapers/Kite/contents/images/2560x1600.jpg",
    "usr/share/wallpapers/OneStandsOut/contents/images/2560x1600.jpg",
    "usr/share/wallpapers/Path/contents/images/2560x1600.jpg",
    "usr/share/doc/opencv-doc/examples/data/aero1.jpg",
    "usr/share/doc/opencv-doc/examples/data/aero3.jpg",
    "usr/share/doc/opencv-doc/examples/data/aloeL.jpg",
    "usr/share/doc/opencv-doc/examples/data/baboon.jpg",
    "usr/share/doc/opencv-doc/examples/data/board.jpg",
    "usr/share/doc/opencv-doc/examples/data/building.jpg",
    "usr/share/doc/opencv-doc/examples/data/butterfly.jpg",
    "usr/share/doc/opencv-doc/examples/data/ela_original.jpg",
    "usr/share/doc/opencv-doc/examples/data/fruits.jpg",
    "usr/share/doc/opencv-doc/examples/data/home.jpg",
    "usr/share/doc/opencv-doc/examples/data/leuvenA.jpg",
    "usr/share/doc/opencv-doc/examples/data/messi5.jpg",
    "usr/share/doc/opencv-doc/examples/data/squirrel_cls.jpg",
    "usr/share/doc/opencv-doc/examples/text/scenetext01.jpg",
    "usr/share/doc/opencv-doc/examples/text/scenetext02.jpg",
    "usr/share/doc/opencv-doc/examples/text/scenetext03.jpg",
    "usr/share/doc/opencv-doc/examples/text/scenetext04.jpg",
    "usr/share/doc/opencv-doc/examples/text/scenetext05.jpg",
    "usr/lib/python3/dist-packages/skimage/data/astronaut.png",
    "usr/lib/python3/dist-packages/skimage/data/chelsea.png",
    "usr/lib/python3/dist-packages/skimage/data/coffee.png",
    "usr/lib/python3/dist-packages/skimage/data/rocket.jpg",
]

# (width, height, weight): ILSVRC-2012's common shapes, then larger and odd ones
SHAPES = [
    (500, 375, 40), (375, 500, 12), (500, 333, 14), (333, 500, 5), (500, 400, 4),
    (500, 500, 5), (400, 300, 3), (640, 480, 7), (800, 600, 5), (1024, 768, 3),
    (1280, 960, 1), (450, 338, 1),
]
MIN_BITS_PER_PIXEL = 3.6


def sources(root):
    found = [os.path.join(root, p) for p in PHOTOGRAPHS if os.path.exists(os.path.join(root, p))]
    if not found:
        sys.exit(f"no photographs under {root}: run tools/bench/realistic-corpus.sh")
    return [Image.open(p).convert("RGB") for p in found]


def crop(photo, width, height, rng):
    room = min(photo.width / width, photo.height / height)
    if room < 1:
        return None
    factor = rng.uniform(1, min(room, 4))
    reduced = photo.reduce(1) if factor < 1.05 else photo.resize(
        (int(photo.width / factor), int(photo.height / factor)), Image.BOX)
    if reduced.width < width or reduced.height < height:
        return None
    left = rng.randrange(reduced.width - width + 1)
    top = rng.randrange(reduced.height - height + 1)
    return reduced.crop((left, top, left + width, top + height))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("out")
    parser.add_argument("--images", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if os.path.exists(args.out) and os.listdir(args.out):
        sys.exit(f"{args.out} is not empty; give a new folder")
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    photos = sources(args.root)
    shapes = [(w, h) for w, h, weight in SHAPES for _ in range(weight)]
    sizes, skipped, attempt = [], 0, 0
    while len(sizes) < args.images:
        photo = photos[attempt % len(photos)]
        attempt += 1
        width, height = rng.choice(shapes)
        piece = crop(photo, width, height, rng)
        if piece is None:
            continue
        quality = rng.randint(88, 96)
        out = io.BytesIO()
        piece.save(out, "JPEG", quality=quality)
        data = out.getvalue()
        if 8 * len(data) / (width * height) < MIN_BITS_PER_PIXEL:
            skipped += 1
            continue
        with open(os.path.join(args.out, f"{len(sizes):05d}.jpg"), "wb") as f:
            f.write(data)
        sizes.append((width, height, len(data)))
    kb = [s[2] / 1024 for s in sizes]
    pixels = [s[0] * s[1] for s in sizes]
    print(f"{len(sizes)} crops from {len(photos)} photographs ({skipped} smooth crops skipped)")
    print(f"file size: mean {statistics.mean(kb):.1f} KB, median {statistics.median(kb):.1f} KB,"
          f" min {min(kb):.1f}, max {max(kb):.1f}")
    print(f"pixels: mean {statistics.mean(pixels) / 1e3:.0f}K, "
          f"{sum(1 for w, h, _ in sizes if max(w, h) == 500) / len(sizes):.0%} with longer side 500")


if __name__ == "__main__":
    main()
