// Generates the tray icons resources/tray/{running,stopped,error,locked}.png
// (16×16) and …@2x.png (32×32, which Electron's nativeImage picks on HiDPI
// screens): a coloured disc with a key hole cut out of it, green / grey / red
// / amber. The PNG files are GENERATED and committed; to regenerate them after
// changing a colour or the shape:
//
//   node build/gen-tray-icons.mjs
//
// Pure Node, no dependency: the shape is rendered with 4×4 supersampling
// (anti-aliased edges), and the PNG written by hand (RGBA, 8 bits, one zlib
// stream, CRC-32 per chunk), so the output is byte-for-byte reproducible.
// main/electron/tray-model.ts names which icon shows for which state;
// electron-builder.yml packs resources/**/*.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

export const TRAY_ICON_COLOURS = {
  running: [0x2e, 0x9e, 0x44],
  stopped: [0x8a, 0x8f, 0x98],
  error: [0xd1, 0x34, 0x38],
  locked: [0xe8, 0xa3, 0x17],
};

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** An RGBA image (size×size×4 bytes, rows top to bottom) as a PNG file. */
export function encodePng(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: RGBA
  // compression, filter, interlace: 0
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Inside the disc (unit square coordinates 0..1) and outside the key hole. */
function inShape(x, y) {
  const dx = x - 0.5;
  const dy = y - 0.5;
  if (dx * dx + dy * dy > 0.47 * 0.47) return false;
  // The key hole: a round head and a slot widening downwards.
  const hx = x - 0.5;
  const hy = y - 0.4;
  if (hx * hx + hy * hy < 0.13 * 0.13) return false;
  if (y >= 0.4 && y <= 0.76) {
    const half = 0.06 + (y - 0.4) * 0.12;
    if (Math.abs(x - 0.5) < half) return false;
  }
  return true;
}

export function renderIcon(size, [r, g, b]) {
  const S = 4;
  const out = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let hits = 0;
      for (let sy = 0; sy < S; sy++) for (let sx = 0; sx < S; sx++) if (inShape((px + (sx + 0.5) / S) / size, (py + (sy + 0.5) / S) / size)) hits++;
      const o = (py * size + px) * 4;
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      out[o + 3] = Math.round((255 * hits) / (S * S));
    }
  }
  return out;
}

export function trayIconFiles() {
  const files = {};
  for (const [name, colour] of Object.entries(TRAY_ICON_COLOURS)) {
    files[`${name}.png`] = encodePng(16, renderIcon(16, colour));
    files[`${name}@2x.png`] = encodePng(32, renderIcon(32, colour));
  }
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'resources', 'tray');
  mkdirSync(dir, { recursive: true });
  for (const [name, data] of Object.entries(trayIconFiles())) {
    writeFileSync(join(dir, name), data);
    console.log(`${join('resources', 'tray', name)} (${data.length} bytes)`);
  }
}
