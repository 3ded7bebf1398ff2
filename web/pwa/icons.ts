// The app's icons, drawn by code: a lens (ring and pupil) on the force's navy, as SVG and
// as PNG at the sizes a web app manifest needs. The PNGs are rasterised here with an
// analytic anti-aliased coverage per pixel and encoded with node:zlib: no image library.
import { deflateSync } from "node:zlib";

const NAVY = [11, 37, 69] as const;
const WHITE = [255, 255, 255] as const;
const AMBER = [255, 196, 0] as const;

interface Shape {
  colour: readonly [number, number, number];
  /** Signed distance (in icon units, 0..1) from the point to the shape's edge; < 0 inside. */
  sdf: (x: number, y: number) => number;
}

const ring = (cx: number, cy: number, r: number, w: number) => (x: number, y: number) =>
  Math.abs(Math.hypot(x - cx, y - cy) - r) - w / 2;
const disc = (cx: number, cy: number, r: number) => (x: number, y: number) =>
  Math.hypot(x - cx, y - cy) - r;
const roundedSquare = (inset: number, radius: number) => (x: number, y: number) => {
  const half = 0.5 - inset - radius;
  const qx = Math.abs(x - 0.5) - half;
  const qy = Math.abs(y - 0.5) - half;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - radius;
};

function shapes(maskable: boolean): Shape[] {
  return [
    { colour: NAVY, sdf: maskable ? () => -1 : roundedSquare(0.02, 0.18) },
    { colour: WHITE, sdf: ring(0.5, 0.5, 0.26, 0.075) },
    { colour: WHITE, sdf: disc(0.5, 0.5, 0.1) },
    { colour: AMBER, sdf: disc(0.66, 0.34, 0.055) },
  ];
}

export function iconSvg(): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" role="img" aria-label="LFR">
<rect x="2" y="2" width="96" height="96" rx="18" fill="rgb(${NAVY.join(",")})"/>
<circle cx="50" cy="50" r="26" fill="none" stroke="#fff" stroke-width="7.5"/>
<circle cx="50" cy="50" r="10" fill="#fff"/>
<circle cx="66" cy="34" r="5.5" fill="rgb(${AMBER.join(",")})"/>
</svg>
`;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** An RGBA PNG of the icon, `size` pixels square. */
export function iconPng(size: number, maskable = false): Buffer {
  const layers = shapes(maskable);
  const raw = Buffer.alloc(size * (size * 4 + 1));
  const aa = 1 / size; // one pixel of anti-aliasing
  for (let py = 0; py < size; py++) {
    const row = py * (size * 4 + 1);
    raw[row] = 0; // filter: none
    for (let px = 0; px < size; px++) {
      const x = (px + 0.5) / size;
      const y = (py + 0.5) / size;
      let r = 0, g = 0, b = 0, a = 0;
      for (const shape of layers) {
        const cover = Math.min(Math.max(0.5 - shape.sdf(x, y) / aa, 0), 1);
        if (cover <= 0) continue;
        r = shape.colour[0] * cover + r * (1 - cover);
        g = shape.colour[1] * cover + g * (1 - cover);
        b = shape.colour[2] * cover + b * (1 - cover);
        a = cover + a * (1 - cover);
      }
      const at = row + 1 + px * 4;
      // Colours were blended premultiplied against transparent black: un-premultiply.
      raw[at] = a ? Math.round(r / a) : 0;
      raw[at + 1] = a ? Math.round(g / a) : 0;
      raw[at + 2] = a ? Math.round(b / a) : 0;
      raw[at + 3] = Math.round(a * 255);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", new Uint8Array()),
  ]);
}
