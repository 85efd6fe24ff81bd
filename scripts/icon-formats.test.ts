import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ICNS_TYPES, icnsEntriesFor, readIcns, readIco, readPngSize, writeIcns, writeIco } from './icon-formats.mjs';

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A valid width x height RGBA PNG, transparent, with real CRCs. */
function png(width: number, height = width): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const raw = Buffer.alloc((width * 4 + 1) * height);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('readPngSize', () => {
  it('reads the IHDR width and height', () => {
    expect(readPngSize(png(48))).toEqual({ width: 48, height: 48 });
    expect(readPngSize(png(20, 10))).toEqual({ width: 20, height: 10 });
  });

  it('refuses data that is not a PNG', () => {
    expect(() => readPngSize(Buffer.from('GIF89a, not a png at all......'))).toThrow(/PNG signature/);
    const noIhdr = png(16);
    noIhdr.write('IDAT', 12, 'latin1');
    expect(() => readPngSize(noIhdr)).toThrow(/IHDR/);
  });
});

describe('writeIco', () => {
  it('writes ICONDIR, one entry per image smallest first (256 as 0) and the PNGs back to back', () => {
    const images = [png(256), png(16), png(32)];
    const ico = writeIco(images);
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2), ico.readUInt16LE(4)]).toEqual([0, 1, 3]);
    const dir = 6 + 3 * 16;
    expect([...ico.subarray(6, 10)]).toEqual([16, 16, 0, 0]);
    expect([ico.readUInt16LE(10), ico.readUInt16LE(12)]).toEqual([1, 32]);
    expect(ico.readUInt32LE(14)).toBe(images[1]!.length);
    expect(ico.readUInt32LE(18)).toBe(dir);
    expect([...ico.subarray(38, 42)]).toEqual([0, 0, 0, 0]); // the 256 px entry, third
    expect(ico.readUInt32LE(50)).toBe(dir + images[1]!.length + images[2]!.length);
    expect(ico.length).toBe(dir + images.reduce((n, p) => n + p.length, 0));
  });

  it('reads back what it wrote', () => {
    const entries = readIco(writeIco([png(48), png(24), png(256)]));
    expect(entries.map((e) => [e.width, e.height, e.bitCount])).toEqual([
      [24, 24, 32],
      [48, 48, 32],
      [256, 256, 32],
    ]);
    expect(entries.map((e) => readPngSize(e.data).width)).toEqual([24, 48, 256]);
  });

  it('refuses no images, non-square, oversized and non-PNG images', () => {
    expect(() => writeIco([])).toThrow(/at least one/);
    expect(() => writeIco([png(32, 16)])).toThrow(/32x16.*square/);
    expect(() => writeIco([png(512)])).toThrow(/1 to 256/);
    expect(() => writeIco([Buffer.alloc(40)])).toThrow(/Not a PNG/);
  });

  it('readIco refuses other files and entries past the end', () => {
    expect(() => readIco(Buffer.from('icns\0\0\0\x08'))).toThrow(/ICONDIR/);
    const ico = writeIco([png(16)]);
    expect(() => readIco(ico.subarray(0, ico.length - 1))).toThrow(/past the end/);
    expect(() => readIco(ico.subarray(0, 10))).toThrow(/truncated/);
  });
});

describe('writeIcns', () => {
  it("writes 'icns', the total length and [type, length, PNG] entries", () => {
    const a = png(16);
    const b = png(32);
    const icns = writeIcns([
      { type: 'icp4', png: a },
      { type: 'ic11', png: b },
    ]);
    expect(icns.toString('latin1', 0, 4)).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    expect(icns.toString('latin1', 8, 12)).toBe('icp4');
    expect(icns.readUInt32BE(12)).toBe(8 + a.length);
    expect(icns.subarray(16, 16 + a.length).equals(a)).toBe(true);
    expect(icns.toString('latin1', 16 + a.length, 20 + a.length)).toBe('ic11');
    expect(icns.length).toBe(8 + 8 + a.length + 8 + b.length);
  });

  it('round-trips every PNG type with its size', () => {
    const bySize = new Map([16, 32, 64, 128, 256, 512, 1024].map((s) => [s, png(s)] as const));
    const entries = readIcns(writeIcns(icnsEntriesFor(bySize)));
    expect(entries.map((e) => e.type)).toEqual(ICNS_TYPES.map((t) => t.type));
    for (const e of entries) {
      const expected = ICNS_TYPES.find((t) => t.type === e.type)!.size;
      expect(readPngSize(e.data)).toEqual({ width: expected, height: expected });
    }
  });

  it('refuses unknown types, a PNG of the wrong size for its type and a missing size', () => {
    expect(() => writeIcns([])).toThrow(/at least one/);
    expect(() => writeIcns([{ type: 'it32', png: png(128) }])).toThrow(/Unknown ICNS type 'it32'/);
    expect(() => writeIcns([{ type: 'ic11', png: png(16) }])).toThrow(/ic11 holds 32 px images, not 16 px/);
    expect(() => icnsEntriesFor(new Map([[16, png(16)]]))).toThrow(/No 32 px rendering for ICNS ic11/);
  });

  it('readIcns refuses other files, a wrong total length and a bad entry length', () => {
    expect(() => readIcns(writeIco([png(16)]))).toThrow(/'icns' magic/);
    const icns = writeIcns([{ type: 'icp4', png: png(16) }]);
    expect(() => readIcns(Buffer.concat([icns, Buffer.alloc(2)]))).toThrow(/length field/);
    const bad = Buffer.from(icns);
    bad.writeUInt32BE(4, 12);
    expect(() => readIcns(bad)).toThrow(/'icp4' at byte 8 has a bad length \(4\)/);
  });
});
