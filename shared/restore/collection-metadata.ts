/**
 * A dumped collection's `<coll>.metadata.json`, in both flavours a Juju
 * backup can hold (docs/juju-db.md §4.8):
 *
 * - `mongodump-2.4`: hand-written by 2.4's dump.cpp, `{options : {…},
 *   indexes:[{…}, {…}]}`: the two top-level keys are NOT quoted, so it is
 *   not JSON; the inner objects are strict JSON (`jsonString(Strict)`);
 * - `json`: valid JSON with quoted keys, as 2.6's and the Go mongodump write.
 *
 * mongorestore 2.4 reads both with its lenient `fromjson`; Quorum must too,
 * and must say which one it saw. Pure TypeScript (no JSON5 dependency: the
 * only leniency 2.4 needs is bare top-level keys).
 */

export type CollectionMetadataFlavour = 'mongodump-2.4' | 'json' | 'empty';

export interface CollectionMetadata {
  readonly flavour: CollectionMetadataFlavour;
  readonly options: Readonly<Record<string, unknown>>;
  /** Index names in file order (`_id_` first when present). */
  readonly indexNames: readonly string[];
  readonly capped: boolean;
}

const WS = /\s/;
const BARE_KEY = /^[A-Za-z_$][\w$]*/;

/** End (exclusive) of the JSON value starting at `start`: strings, nesting and scalars, without interpreting them. */
function valueEnd(text: string, start: number): number {
  let depth = 0;
  let i = start;
  let inString = false;
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') {
        inString = false;
        if (depth === 0) return i + 1;
      }
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      if (depth === 0) return i;
      depth--;
      if (depth === 0) return i + 1;
    } else if (depth === 0 && (ch === ',' || WS.test(ch))) return i;
  }
  if (inString || depth > 0) throw new TypeError('it ends in the middle of a value');
  return i;
}

function skipWs(text: string, i: number): number {
  while (i < text.length && WS.test(text[i]!)) i++;
  return i;
}

/** Top-level `key: value` pairs, keys quoted or bare; values parsed as strict JSON. */
function readTopLevel(text: string): { pairs: Array<[string, unknown]>; bare: boolean } {
  let i = skipWs(text, 0);
  if (text[i] !== '{') throw new TypeError('it is not an object');
  i = skipWs(text, i + 1);
  const pairs: Array<[string, unknown]> = [];
  let bare = false;
  if (text[i] === '}') {
    if (skipWs(text, i + 1) !== text.length) throw new TypeError('it has text after the object');
    return { pairs, bare };
  }
  for (;;) {
    let key: string;
    if (text[i] === '"') {
      const end = valueEnd(text, i);
      key = JSON.parse(text.slice(i, end)) as string;
      i = end;
    } else {
      const m = BARE_KEY.exec(text.slice(i, i + 64));
      if (!m) throw new TypeError(`a key is malformed at character ${i}`);
      key = m[0];
      bare = true;
      i += key.length;
    }
    i = skipWs(text, i);
    if (text[i] !== ':') throw new TypeError(`":" is missing after ${key}`);
    i = skipWs(text, i + 1);
    const end = valueEnd(text, i);
    let value: unknown;
    try {
      value = JSON.parse(text.slice(i, end));
    } catch {
      throw new TypeError(`the value of ${key} is not JSON`);
    }
    pairs.push([key, value]);
    i = skipWs(text, end);
    if (text[i] === ',') {
      i = skipWs(text, i + 1);
      continue;
    }
    if (text[i] === '}') {
      if (skipWs(text, i + 1) !== text.length) throw new TypeError('it has text after the object');
      return { pairs, bare };
    }
    throw new TypeError(`"," or "}" expected at character ${i}`);
  }
}

/**
 * Parses a collection's metadata.json of either flavour. Throws a TypeError
 * naming the problem when mongorestore could not read it either.
 */
export function parseCollectionMetadata(text: string): CollectionMetadata {
  const { pairs, bare } = readTopLevel(text);
  const seen = new Set<string>();
  let options: Record<string, unknown> = {};
  let indexNames: string[] = [];
  for (const [key, value] of pairs) {
    if (seen.has(key)) throw new TypeError(`${key} appears twice`);
    seen.add(key);
    if (key === 'options') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError('options is not an object');
      options = value as Record<string, unknown>;
    } else if (key === 'indexes') {
      if (!Array.isArray(value)) throw new TypeError('indexes is not a list');
      indexNames = value.map((ix, n) => {
        const name = (ix as { name?: unknown } | null)?.name;
        if (typeof ix !== 'object' || ix === null || typeof name !== 'string') throw new TypeError(`index ${n + 1} has no name`);
        return name;
      });
    }
    // Other keys (the Go mongodump's `uuid`, `collectionName`, `type`) are mongorestore's business, not a defect.
  }
  const flavour: CollectionMetadataFlavour = pairs.length === 0 ? 'empty' : bare ? 'mongodump-2.4' : 'json';
  return { flavour, options, indexNames, capped: options.capped === true };
}
