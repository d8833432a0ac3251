import { crc32 as zlibCrc32, inflateSync } from 'node:zlib';
import { Canvas, crc32, encodePng, niceTicks, PNG_SIGNATURE, renderChart } from './png-chart';

interface Chunk {
  type: string;
  data: Buffer;
  crc: number;
  computed: number;
}

/** Splits a PNG into its chunks, with the CRC stored and the CRC computed (by zlib, not by the encoder's own table). */
function chunks(png: Buffer): Chunk[] {
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  const out: Chunk[] = [];
  let at = 8;
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('ascii', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    out.push({ type, data, crc: png.readUInt32BE(at + 8 + length), computed: zlibCrc32(png.subarray(at + 4, at + 8 + length)) });
    at += 12 + length;
  }
  return out;
}

function decode(png: Buffer): { width: number; height: number; pixel: (x: number, y: number) => number[] } {
  const list = chunks(png);
  for (const c of list) expect(c.crc).toBe(c.computed);
  expect(list.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
  const ihdr = list[0].data;
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  expect([...ihdr.subarray(8)]).toEqual([8, 6, 0, 0, 0]);
  const raw = inflateSync(list[1].data);
  const stride = 1 + width * 4;
  expect(raw.length).toBe(height * stride);
  for (let y = 0; y < height; y++) expect(raw[y * stride]).toBe(0);
  return { width, height, pixel: (x, y) => [...raw.subarray(y * stride + 1 + x * 4, y * stride + 1 + x * 4 + 4)] };
}

describe('png-chart', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.from('IEND'))).toBe(zlibCrc32(Buffer.from('IEND')));
  });

  it('encodes an RGBA buffer as a PNG whose header, CRCs and pixels decode back', () => {
    const cv = new Canvas(7, 3, [255, 255, 255]);
    cv.px(2, 1, [10, 20, 30]);
    const img = decode(encodePng(cv.width, cv.height, cv.rgba));
    expect([img.width, img.height]).toEqual([7, 3]);
    expect(img.pixel(2, 1)).toEqual([10, 20, 30, 255]);
    expect(img.pixel(0, 0)).toEqual([255, 255, 255, 255]);
  });

  it('refuses a buffer of the wrong size', () => {
    expect(() => encodePng(2, 2, new Uint8Array(15))).toThrow(/15 bytes for 2×2/);
  });

  it('draws lines and text', () => {
    const cv = new Canvas(40, 20);
    cv.line(0, 0, 39, 19, [255, 0, 0]);
    cv.text(2, 10, '8', [0, 0, 255]);
    const img = decode(cv.png());
    expect(img.pixel(0, 0)).toEqual([255, 0, 0, 255]);
    expect(img.pixel(39, 19)).toEqual([255, 0, 0, 255]);
    expect(img.pixel(3, 10)).toEqual([0, 0, 255, 255]); // the top bar of an 8
  });

  it('picks round ticks that cover the range', () => {
    expect(niceTicks(0, 30, 10)).toEqual([0, 5, 10, 15, 20, 25, 30]);
    expect(niceTicks(0, 287, 5)).toEqual([0, 100, 200, 300]);
    const t = niceTicks(0.2, 0.9, 5);
    expect(t[0]).toBeLessThanOrEqual(0.2);
    expect(t[t.length - 1]).toBeGreaterThanOrEqual(0.9);
  });

  it('renders a chart of the requested width with every series colour in it', () => {
    const points = (f: (x: number) => number) => Array.from({ length: 31 }, (_, i) => [i, f(i)] as const);
    const png = renderChart({
      title: 'Soak',
      xLabel: 'minutes',
      width: 600,
      panelHeight: 200,
      panels: [
        { title: 'Memory (MiB)', series: [{ label: 'rss', color: [31, 119, 180], points: points((x) => 200 + x) }] },
        { title: 'p99 (ms)', series: [{ label: 'p99', color: [148, 103, 189], points: points((x) => (x === 10 ? Number.NaN : 30 + (x % 3))) }] },
      ],
    });
    const img = decode(png);
    expect(img.width).toBe(600);
    expect(img.height).toBe(40 + 2 * 200 + 70 + 60);
    const colours = new Set<string>();
    for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) colours.add(img.pixel(x, y).join(','));
    expect(colours.has('31,119,180,255')).toBe(true);
    expect(colours.has('148,103,189,255')).toBe(true);
  });
});
