import { deflateSync } from 'node:zlib';

/**
 * Line charts as PNG files, with no native dependency: an RGBA pixel buffer, Bresenham lines, a 5×7
 * bitmap font (digits, capitals, a little punctuation; lower case is drawn as capitals) and a minimal
 * PNG encoder (IHDR, one zlib-deflated IDAT with filter 0 on every row, IEND, CRC-32 on each chunk).
 * The soak (scenario 9) draws its memory and latency over time with it.
 */

export type Rgb = readonly [number, number, number];

export interface ChartSeries {
  label: string;
  color: Rgb;
  /** (x, y) in data units, x ascending; a non-finite y leaves a gap. */
  points: readonly (readonly [number, number])[];
}

export interface ChartPanel {
  /** Drawn above the plot, e.g. "MEMORY (MIB)". */
  title: string;
  series: ChartSeries[];
  /** The y axis starts at 0 unless told otherwise (a trend is read against the whole scale). */
  yFromZero?: boolean;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  panels: ChartPanel[];
  width?: number;
  panelHeight?: number;
}

// ---- PNG ------------------------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** An 8-bit RGBA image (`rgba.length === width × height × 4`) as a PNG file. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  if (rgba.length !== width * height * 4) throw new Error(`encodePng: ${rgba.length} bytes for ${width}×${height}`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type 6 (RGBA), deflate, filter method 0, no interlace
  const raw = Buffer.alloc(height * (1 + width * 4));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 4);
    raw[row] = 0; // filter: none
    raw.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), row + 1);
  }
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

// ---- pixels and the font ---------------------------------------------------------------------------

/** Rows of 5 bits (bit 4 = leftmost), 7 rows per glyph, as hex pairs. */
const GLYPHS: Record<string, string> = {
  '0': '0e11131519110e', '1': '040c040404040e', '2': '0e11010204081f', '3': '1f02040201110e', '4': '02060a121f0202',
  '5': '1f101e0101110e', '6': '0608101e11110e', '7': '1f010204080808', '8': '0e11110e11110e', '9': '0e11110f01020c',
  A: '0e11111f111111', B: '1e11111e11111e', C: '0e11101010110e', D: '1c12111111121c', E: '1f10101e10101f',
  F: '1f10101e101010', G: '0e11101711110f', H: '1111111f111111', I: '0e04040404040e', J: '0702020202120c',
  K: '11121418141211', L: '1010101010101f', M: '111b1515111111', N: '11111915131111', O: '0e11111111110e',
  P: '1e11111e101010', Q: '0e11111115120d', R: '1e11111e141211', S: '0f10100e01011e', T: '1f040404040404',
  U: '1111111111110e', V: '11111111110a04', W: '1111111515150a', X: '11110a040a1111', Y: '1111110a040404',
  Z: '1f01020408101f', ' ': '00000000000000', '.': '00000000000c0c', ',': '000000000c0408', '-': '0000001f000000',
  ':': '000c0c000c0c00', '/': '00010204081000', '%': '18190204081303', '(': '02040808080402', ')': '08040202020408',
  '#': '0a0a1f0a1f0a0a', '+': '0004041f040400', '=': '00001f001f0000', '_': '0000000000001f', '>': '08040201020408',
  '<': '02040810080402', '×': '00110a040a1100', '?': '0e110102040004',
};

export class Canvas {
  readonly rgba: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    this.rgba = new Uint8Array(width * height * 4);
    this.fill(0, 0, width, height, background);
  }

  px(x: number, y: number, c: Rgb): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 4;
    this.rgba[i] = c[0];
    this.rgba[i + 1] = c[1];
    this.rgba[i + 2] = c[2];
    this.rgba[i + 3] = 255;
  }

  fill(x: number, y: number, w: number, h: number, c: Rgb): void {
    for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) this.px(x + i, y + j, c);
  }

  /** A line `thickness` pixels wide (a square brush along Bresenham's path). */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, thickness = 1): void {
    [x0, y0, x1, y1] = [x0, y0, x1, y1].map(Math.round);
    const dx = Math.abs(x1 - x0);
    const dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1;
    const sy = y0 < y1 ? 1 : -1;
    let err = dx + dy;
    const off = Math.floor((thickness - 1) / 2);
    for (;;) {
      this.fill(x0 - off, y0 - off, thickness, thickness, c);
      if (x0 === x1 && y0 === y1) return;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x0 += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y0 += sy;
      }
    }
  }

  /** Text with its top-left corner at (x, y); 6 × scale pixels per character. */
  text(x: number, y: number, s: string, c: Rgb, scale = 1): void {
    let cx = x;
    for (const ch of s.toUpperCase()) {
      const g = GLYPHS[ch] ?? GLYPHS['?'];
      for (let row = 0; row < 7; row++) {
        const bits = parseInt(g.slice(row * 2, row * 2 + 2), 16);
        for (let col = 0; col < 5; col++) if (bits & (0x10 >> col)) this.fill(cx + col * scale, y + row * scale, scale, scale, c);
      }
      cx += 6 * scale;
    }
  }

  static textWidth(s: string, scale = 1): number {
    return [...s].length * 6 * scale - scale;
  }

  png(): Buffer {
    return encodePng(this.width, this.height, this.rgba);
  }
}

// ---- the chart ---------------------------------------------------------------------------------------

/** About `count` round tick values (steps of 1, 2 or 5 × 10^k) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) max = min + 1;
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

const fmtTick = (v: number) => (Math.abs(v) >= 10_000 ? `${Math.round(v / 1000)}K` : String(Number(v.toFixed(2))));

const INK: Rgb = [40, 40, 40];
const GRID: Rgb = [225, 225, 225];

/** Stacked panels sharing one x axis, one line per series, a legend above each panel; returns a PNG. */
export function renderChart(spec: ChartSpec): Buffer {
  const width = spec.width ?? 1000;
  const panelHeight = spec.panelHeight ?? 300;
  const left = 80;
  const right = 30;
  const top = 40;
  const gap = 70;
  const bottom = 60;
  const height = top + spec.panels.length * panelHeight + (spec.panels.length - 1) * gap + bottom;
  const cv = new Canvas(width, height);
  cv.text(left, 12, spec.title, INK, 2);

  const all = spec.panels.flatMap((p) => p.series.flatMap((s) => s.points.map(([x]) => x)));
  const xTicks = niceTicks(Math.min(...all, 0), Math.max(...all, 1), 10);
  const [x0, x1] = [xTicks[0], xTicks[xTicks.length - 1]];
  const plotW = width - left - right;
  const xPx = (x: number) => left + ((x - x0) / (x1 - x0)) * plotW;

  spec.panels.forEach((panel, k) => {
    const py = top + k * (panelHeight + gap) + 30; // room for the panel title and the legend
    const plotH = panelHeight - 30;
    const ys = panel.series.flatMap((s) => s.points.map(([, y]) => y)).filter(Number.isFinite);
    const yTicks = niceTicks(panel.yFromZero === false && ys.length ? Math.min(...ys) : 0, ys.length ? Math.max(...ys) : 1, 5);
    const [y0, y1] = [yTicks[0], yTicks[yTicks.length - 1]];
    const yPx = (y: number) => py + plotH - ((y - y0) / (y1 - y0)) * plotH;

    cv.text(left, py - 26, panel.title, INK, 1);
    let lx = left + Canvas.textWidth(panel.title) + 24;
    for (const s of panel.series) {
      cv.fill(lx, py - 26, 14, 7, s.color);
      cv.text(lx + 18, py - 26, s.label, INK, 1);
      lx += 18 + Canvas.textWidth(s.label) + 20;
    }
    for (const t of yTicks) {
      const y = yPx(t);
      cv.line(left, y, left + plotW, y, GRID);
      cv.line(left - 5, y, left, y, INK);
      const label = fmtTick(t);
      cv.text(left - 9 - Canvas.textWidth(label), y - 3, label, INK);
    }
    for (const t of xTicks) {
      const x = xPx(t);
      cv.line(x, py, x, py + plotH, GRID);
      cv.line(x, py + plotH, x, py + plotH + 5, INK);
      const label = fmtTick(t);
      cv.text(x - Canvas.textWidth(label) / 2, py + plotH + 10, label, INK);
    }
    cv.line(left, py, left, py + plotH, INK);
    cv.line(left, py + plotH, left + plotW, py + plotH, INK);
    for (const s of panel.series) {
      let prev: [number, number] | null = null;
      for (const [x, y] of s.points) {
        if (!Number.isFinite(y) || !Number.isFinite(x)) {
          prev = null;
          continue;
        }
        const p: [number, number] = [xPx(x), yPx(y)];
        if (prev) cv.line(prev[0], prev[1], p[0], p[1], s.color, 2);
        else cv.fill(p[0] - 1, p[1] - 1, 3, 3, s.color);
        prev = p;
      }
    }
  });
  cv.text(left + plotW / 2 - Canvas.textWidth(spec.xLabel) / 2, height - 24, spec.xLabel, INK);
  return cv.png();
}
