"""Draws the installable app's PNG icons (static/icons/icon-*.png) from the same shapes as
static/icons/favicon.svg: the Instagram-like gradient square and a white speech bubble.

Run once when the design changes (`python scripts/make_icons.py`); the PNGs are committed and the
app never runs this. Pure Python (zlib + struct, 4x4 supersampling) so that making icons needs no
image library: neither Pillow nor ImageMagick is a dependency of the app.

- `icon-192.png`, `icon-512.png` (purpose "any"): rounded corners, transparent outside;
- `icon-maskable-512.png`, `icon-maskable-192.png` (purpose "maskable"): full bleed, the bubble
  inside the central safe zone (a circle of 40% radius), since the launcher crops to its own shape;
- `apple-touch-icon.png` (180 px, full bleed: iOS rounds the corners itself).
"""
from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"

# favicon.svg's gradient, from the bottom-left corner to the top-right one.
STOPS = ((0.0, (0xF5, 0x85, 0x29)), (0.5, (0xDD, 0x2A, 0x7B)), (1.0, (0x51, 0x5B, 0xD4)))
SAMPLES = 4  # per axis: 16 samples a pixel


def _gradient(t: float) -> tuple[int, int, int]:
    t = min(max(t, 0.0), 1.0)
    for (t0, c0), (t1, c1) in zip(STOPS, STOPS[1:]):
        if t <= t1:
            f = (t - t0) / (t1 - t0)
            return tuple(round(a + (b - a) * f) for a, b in zip(c0, c1))
    return STOPS[-1][1]


def _in_rounded_rect(x, y, x0, y0, x1, y1, r) -> bool:
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def _in_triangle(x, y, a, b, c) -> bool:
    def side(p, q):
        return (x - q[0]) * (p[1] - q[1]) - (p[0] - q[0]) * (y - q[1])

    d1, d2, d3 = side(a, b), side(b, c), side(c, a)
    return not ((d1 < 0 or d2 < 0 or d3 < 0) and (d1 > 0 or d2 > 0 or d3 > 0))


def _in_bubble(x, y) -> bool:
    """favicon.svg's bubble in its 32-unit box: a rounded rectangle with a tail at the bottom left."""
    return _in_rounded_rect(x, y, 8, 7, 24, 21, 3.5) or _in_triangle(x, y, (9.5, 18), (14, 21), (9.5, 25))


def draw(size: int, *, rounded: bool) -> bytes:
    """RGBA rows of the icon at `size` px."""
    scale = 32 / size
    rows = []
    for py in range(size):
        row = bytearray()
        for px in range(size):
            covered = white = 0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x = (px + (sx + 0.5) / SAMPLES) * scale
                    y = (py + (sy + 0.5) / SAMPLES) * scale
                    if rounded and not _in_rounded_rect(x, y, 0, 0, 32, 32, 8):
                        continue
                    covered += 1
                    white += _in_bubble(x, y)
            n = SAMPLES * SAMPLES
            if not covered:
                row += b"\0\0\0\0"
                continue
            # The gradient runs along the diagonal from (0, 32) to (32, 0).
            cx, cy = (px + 0.5) * scale, (py + 0.5) * scale
            base = _gradient((cx + (32 - cy)) / 64)
            mix = white / covered
            rgb = tuple(round(c + (255 - c) * mix) for c in base)
            row += bytes((*rgb, round(255 * covered / n)))
        rows.append(bytes(row))
    return b"".join(b"\0" + r for r in rows)  # filter type 0 on every row


def png(size: int, pixels: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(pixels, 9))
            + chunk(b"IEND", b""))


ICONS = (
    ("icon-192.png", 192, True),
    ("icon-512.png", 512, True),
    ("icon-maskable-192.png", 192, False),
    ("icon-maskable-512.png", 512, False),
    ("apple-touch-icon.png", 180, False),
)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size, rounded in ICONS:
        (OUT / name).write_bytes(png(size, draw(size, rounded=rounded)))
        print(f"wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
