/**
 * The icon containers electron-builder needs, written (and read back, for
 * the tests) without any native tool:
 * - ICO (Windows): ICONDIR (reserved 0, type 1, count) + one 16-byte
 *   ICONDIRENTRY per image + the PNG payloads; a width/height byte of 0
 *   means 256. All integers little-endian.
 * - ICNS (macOS): 'icns' + total length, then [OSType, length incl. the
 *   8-byte header, PNG data] per image. All integers big-endian.
 * Every payload is a PNG whose size is read from its IHDR chunk.
 */

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The sizes of the Linux icon set (`assets/icons/<n>x<n>.png`). */
export const ICON_SIZES = Object.freeze([16, 24, 32, 48, 64, 128, 256, 512, 1024]);

/** The sizes embedded in `icon.ico`. */
export const ICO_SIZES = Object.freeze([16, 24, 32, 48, 64, 128, 256]);

/**
 * The PNG-based ICNS types and the pixel size each holds (the @2x types hold
 * twice their point size), in the order they are written.
 */
export const ICNS_TYPES = Object.freeze([
  { type: 'icp4', size: 16 },
  { type: 'ic11', size: 32 }, // 16 pt @2x
  { type: 'icp5', size: 32 },
  { type: 'ic12', size: 64 }, // 32 pt @2x
  { type: 'icp6', size: 64 },
  { type: 'ic07', size: 128 },
  { type: 'ic13', size: 256 }, // 128 pt @2x
  { type: 'ic08', size: 256 },
  { type: 'ic14', size: 512 }, // 256 pt @2x
  { type: 'ic09', size: 512 },
  { type: 'ic10', size: 1024 }, // 512 pt @2x
]);

/** Width and height from a PNG's IHDR chunk; throws when the data is not a PNG. */
export function readPngSize(png) {
  if (png.length < 24 || !png.subarray(0, 8).equals(PNG_SIGNATURE)) {
    throw new Error('Not a PNG: the 8-byte PNG signature is missing.');
  }
  if (png.toString('latin1', 12, 16) !== 'IHDR') throw new Error('Not a PNG: the first chunk is not IHDR.');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

function squareSize(png, what) {
  const { width, height } = readPngSize(png);
  if (width !== height) throw new Error(`${what}: the PNG is ${width}x${height}; icons must be square.`);
  return width;
}

/** An ICO file embedding the given PNGs (square, 1 to 256 px), smallest first. */
export function writeIco(pngs) {
  if (pngs.length === 0) throw new Error('An ICO needs at least one image.');
  const images = pngs
    .map((png, i) => ({ png, size: squareSize(png, `ICO image ${i}`) }))
    .sort((a, b) => a.size - b.size);
  for (const { size } of images) {
    if (size < 1 || size > 256) throw new Error(`An ICO image is ${size} px; ICO images are 1 to 256 px.`);
  }
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ png, size }, i) => {
    const at = 6 + 16 * i;
    header.writeUInt8(size === 256 ? 0 : size, at);
    header.writeUInt8(size === 256 ? 0 : size, at + 1);
    header.writeUInt8(0, at + 2); // no palette
    header.writeUInt8(0, at + 3); // reserved
    header.writeUInt16LE(1, at + 4); // colour planes
    header.writeUInt16LE(32, at + 6); // bits per pixel
    header.writeUInt32LE(png.length, at + 8);
    header.writeUInt32LE(offset, at + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...images.map((i) => i.png)]);
}

/** The entries of an ICO file: directory sizes (0 read as 256), bit depth and payload. */
export function readIco(ico) {
  if (ico.length < 6 || ico.readUInt16LE(0) !== 0 || ico.readUInt16LE(2) !== 1) {
    throw new Error('Not an ICO file: the ICONDIR header (0, 1) is missing.');
  }
  const count = ico.readUInt16LE(4);
  if (ico.length < 6 + 16 * count) throw new Error(`ICO truncated: ${count} directory entries do not fit.`);
  const entries = [];
  for (let i = 0; i < count; i++) {
    const at = 6 + 16 * i;
    const length = ico.readUInt32LE(at + 8);
    const offset = ico.readUInt32LE(at + 12);
    if (offset + length > ico.length) throw new Error(`ICO entry ${i} points past the end of the file.`);
    entries.push({
      width: ico.readUInt8(at) || 256,
      height: ico.readUInt8(at + 1) || 256,
      bitCount: ico.readUInt16LE(at + 6),
      data: ico.subarray(offset, offset + length),
    });
  }
  return entries;
}

/** An ICNS file from `[{ type, png }]`; each PNG must have the size its type holds. */
export function writeIcns(entries) {
  if (entries.length === 0) throw new Error('An ICNS needs at least one image.');
  const chunks = entries.map(({ type, png }) => {
    const known = ICNS_TYPES.find((t) => t.type === type);
    if (!known) throw new Error(`Unknown ICNS type '${type}': use one of ${ICNS_TYPES.map((t) => t.type).join(', ')}.`);
    const size = squareSize(png, `ICNS ${type}`);
    if (size !== known.size) throw new Error(`ICNS ${type} holds ${known.size} px images, not ${size} px.`);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(8 + png.length, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + chunks.reduce((n, c) => n + c.length, 0), 4);
  return Buffer.concat([head, ...chunks]);
}

/** The `[{ type, data }]` entries of an ICNS file; throws on a malformed file. */
export function readIcns(icns) {
  if (icns.length < 8 || icns.toString('latin1', 0, 4) !== 'icns') throw new Error("Not an ICNS file: the 'icns' magic is missing.");
  if (icns.readUInt32BE(4) !== icns.length) {
    throw new Error(`ICNS length field says ${icns.readUInt32BE(4)} bytes; the file has ${icns.length}.`);
  }
  const entries = [];
  for (let at = 8; at < icns.length; ) {
    if (at + 8 > icns.length) throw new Error(`ICNS truncated: an entry header at byte ${at} does not fit.`);
    const type = icns.toString('latin1', at, at + 4);
    const length = icns.readUInt32BE(at + 4);
    if (length < 8 || at + length > icns.length) throw new Error(`ICNS entry '${type}' at byte ${at} has a bad length (${length}).`);
    entries.push({ type, data: icns.subarray(at + 8, at + length) });
    at += length;
  }
  return entries;
}

/** The ICNS entries for a set of rendered PNGs keyed by pixel size. */
export function icnsEntriesFor(pngBySize) {
  return ICNS_TYPES.map(({ type, size }) => {
    const png = pngBySize.get(size);
    if (!png) throw new Error(`No ${size} px rendering for ICNS ${type}.`);
    return { type, png };
  });
}
