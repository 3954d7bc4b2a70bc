"""Draws media/icon.png (128x128): token-coloured bars on a dark rounded square. Pure Python (zlib)."""
import struct, zlib, pathlib

W = H = 128
BG = (30, 34, 46, 255)
COLORS = [(86, 156, 214), (78, 201, 176), (220, 170, 90), (197, 134, 192), (240, 113, 120)]
# rows of token widths in pixels (a "line of text" split into tokens)
ROWS = [[22, 14, 30, 18], [12, 26, 16, 24, 8], [30, 20, 28], [16, 10, 22, 14, 18]]

def inside_rounded(x, y, r=22):
    cx = min(max(x, r), W - 1 - r); cy = min(max(y, r), H - 1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r

px = [[(0, 0, 0, 0)] * W for _ in range(H)]
for y in range(H):
    for x in range(W):
        if inside_rounded(x, y):
            px[y][x] = BG
ci = 0
for ri, row in enumerate(ROWS):
    y0 = 22 + ri * 22
    x = 18
    for w in row:
        c = COLORS[ci % len(COLORS)]; ci += 1
        for y in range(y0, y0 + 14):
            for xx in range(x, min(x + w - 3, W - 18)):
                px[y][xx] = (*c, 255)
        x += w
raw = b''.join(b'\x00' + b''.join(struct.pack('4B', *p) for p in row) for row in px)
def chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', W, H, 8, 6, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b'')
out = pathlib.Path(__file__).resolve().parent.parent / 'media' / 'icon.png'
out.write_bytes(png)
print(out, len(png), 'bytes')
