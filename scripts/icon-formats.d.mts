/** Types for icon-formats.mjs (plain JS so `node scripts/icons.mjs` runs without a build). */
export interface PngSize {
  readonly width: number;
  readonly height: number;
}
export interface IcoEntry extends PngSize {
  readonly bitCount: number;
  readonly data: Buffer;
}
export interface IcnsType {
  readonly type: string;
  readonly size: number;
}
export interface IcnsEntry {
  readonly type: string;
  readonly data: Buffer;
}
export declare const ICON_SIZES: readonly number[];
export declare const ICO_SIZES: readonly number[];
export declare const ICNS_TYPES: readonly IcnsType[];
export declare function readPngSize(png: Buffer): PngSize;
export declare function writeIco(pngs: readonly Buffer[]): Buffer;
export declare function readIco(ico: Buffer): IcoEntry[];
export declare function writeIcns(entries: readonly { readonly type: string; readonly png: Buffer }[]): Buffer;
export declare function readIcns(icns: Buffer): IcnsEntry[];
export declare function icnsEntriesFor(pngBySize: ReadonlyMap<number, Buffer>): { type: string; png: Buffer }[];
