"""Draws the app's icons into static/icons/ with the standard library only (zlib, struct).

Run `python -m journal.pwa.icons` after changing the drawing; the PNGs it writes are committed,
so the app never draws at start-up. One drawing, a white journal page with three lines of
writing on the app's blue, at every size a browser or phone asks for:

- `icon-192.png`, `icon-512.png`: the manifest's "any" icons (rounded corners, transparent
  outside them);
- `maskable-512.png`: the manifest's maskable icon, blue to every edge with the page inside the
  central 80 % circle that every mask shape keeps;
- `apple-touch-icon.png` (180 px): blue to every edge, iOS rounds the corners itself;
- `favicon.ico`: a 32 px PNG inside an ICO file, for /favicon.ico;
- `icon.svg`: the same drawing as vectors, the favicon of browsers that take SVG.

Shapes are rounded rectangles drawn with their signed distance, so edges are anti-aliased at
any size without a graphics library.
"""

import struct
import zlib
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "static"
BLUE = (0x1F, 0x5F, 0x8B)
WHITE = (0xFF, 0xFF, 0xFF)
# The drawing on a 1 x 1 square: (centre x, centre y, half width, half height, corner radius,
# colour). A page, three lines of writing on it and a bookmark ribbon over its top edge.
PAGE = (0.5, 0.5, 0.25, 0.31, 0.04, WHITE)
LINES = [(0.48, y, 0.15, 0.022, 0.022, BLUE) for y in (0.40, 0.50, 0.60)]
RIBBON = (0.67, 0.25, 0.035, 0.08, 0.0, (0xE0, 0x9F, 0x3E))
SHAPES = [PAGE, *LINES, RIBBON]


def rounded_box_distance(x: float, y: float, shape: tuple) -> float:
    """Signed distance from (x, y) to a rounded rectangle: negative inside."""
    cx, cy, hw, hh, radius, _ = shape
    qx = abs(x - cx) - (hw - radius)
    qy = abs(y - cy) - (hh - radius)
    outside = (max(qx, 0.0) ** 2 + max(qy, 0.0) ** 2) ** 0.5
    return outside + min(max(qx, qy), 0.0) - radius


def draw(size: int, scale: float, corner: float | None) -> bytes:
    """RGBA rows of the drawing at `size` px: the shapes scaled by `scale` about the centre, on
    a blue square whose corners are rounded by `corner` (a fraction of the size; None: square,
    blue to the edges)."""
    background = (0.5, 0.5, 0.5, 0.5, corner or 0.0, BLUE)
    shapes = [
        (0.5 + (cx - 0.5) * scale, 0.5 + (cy - 0.5) * scale, hw * scale, hh * scale, r * scale, c)
        for cx, cy, hw, hh, r, c in SHAPES
    ]
    pixel = 1.0 / size
    rows = bytearray()
    for j in range(size):
        rows.append(0)  # PNG filter type: none
        y = (j + 0.5) * pixel
        for i in range(size):
            x = (i + 0.5) * pixel
            alpha = _coverage(rounded_box_distance(x, y, background), pixel)
            colour = BLUE
            for shape in shapes:
                cover = _coverage(rounded_box_distance(x, y, shape), pixel)
                if cover > 0:
                    colour = tuple(
                        round(a * (1 - cover) + b * cover)
                        for a, b in zip(colour, shape[5], strict=True)
                    )
            rows += bytes((*colour, round(255 * alpha)))
    return bytes(rows)


def _coverage(distance: float, pixel: float) -> float:
    """How much of a pixel lies inside a shape, from its distance to the edge."""
    return min(max(0.5 - distance / pixel, 0.0), 1.0)


def png(size: int, rgba_rows: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rgba_rows, 9))
        + chunk(b"IEND", b"")
    )


def ico(size: int, png_bytes: bytes) -> bytes:
    """One PNG in an ICO container (every browser since 2007 reads PNG inside ICO)."""
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png_bytes), 22)
    return header + entry + png_bytes


def svg() -> str:
    def rect(shape: tuple) -> str:
        cx, cy, hw, hh, r, colour = shape
        fill = "#{:02x}{:02x}{:02x}".format(*colour)
        return (
            f'<rect x="{(cx - hw) * 64:g}" y="{(cy - hh) * 64:g}" width="{hw * 128:g}"'
            f' height="{hh * 128:g}" rx="{r * 64:g}" fill="{fill}"/>'
        )

    background = rect((0.5, 0.5, 0.5, 0.5, 0.18, BLUE))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        + background
        + "".join(rect(shape) for shape in SHAPES)
        + "</svg>\n"
    )


# name -> (size, scale of the drawing, corner rounding)
PNGS = {
    "icon-192.png": (192, 1.0, 0.18),
    "icon-512.png": (512, 1.0, 0.18),
    # Maskable: the page fits the central 80 % circle (its corners reach 0.79 of the radius).
    "maskable-512.png": (512, 0.8, None),
    "apple-touch-icon.png": (180, 0.9, None),
}


def main() -> None:
    folder = STATIC / "icons"
    folder.mkdir(parents=True, exist_ok=True)
    for name, (size, scale, corner) in PNGS.items():
        (folder / name).write_bytes(png(size, draw(size, scale, corner)))
    (folder / "favicon.ico").write_bytes(ico(32, png(32, draw(32, 1.1, 0.18))))
    (folder / "icon.svg").write_text(svg())
    print(f"wrote {len(PNGS) + 2} icons to {folder}")


if __name__ == "__main__":
    main()
