import { describe, expect, it } from 'vitest';
import { parseArgs, type FlagSpec } from './args';

const specs: FlagSpec[] = [
  { key: 'environment', names: ['e', 'environment'], kind: 'string', usage: '' },
  { key: 'quiet', names: ['quiet'], kind: 'bool', usage: '' },
  { key: 'n', names: ['n'], kind: 'int', usage: '' },
];

describe('parseArgs (gnuflag, interspersed)', () => {
  it('reads short and long flags, with = or a separate value, among positionals', () => {
    const p = parseArgs(['notes here', '-e', 'prod', '--quiet', 'x', '-n=3'], specs);
    expect(p.flags).toEqual({ environment: 'prod', quiet: true, n: 3 });
    expect(p.positionals).toEqual(['notes here', 'x']);
    expect(parseArgs(['--environment=sandbox'], specs).flags.environment).toBe('sandbox');
    expect(parseArgs(['--quiet=false'], specs).flags.quiet).toBe(false);
  });

  it('stops at -- and keeps a lone dash as an argument', () => {
    expect(parseArgs(['--', '--quiet', '-'], specs).positionals).toEqual(['--quiet', '-']);
    expect(parseArgs(['-'], specs).positionals).toEqual(['-']);
  });

  it("fails in gnuflag's words", () => {
    expect(() => parseArgs(['--bogus'], specs)).toThrow('flag provided but not defined: --bogus');
    expect(() => parseArgs(['-x=1'], specs)).toThrow('flag provided but not defined: -x');
    expect(() => parseArgs(['-e'], specs)).toThrow('flag needs an argument: -e');
    expect(() => parseArgs(['-n', 'three'], specs)).toThrow('invalid value "three" for flag -n: strconv.ParseInt: parsing "three": invalid syntax');
    expect(() => parseArgs(['--quiet=maybe'], specs)).toThrow('invalid value "maybe" for flag --quiet');
  });

  it('notices -h and --help', () => {
    expect(parseArgs(['-h'], specs).help).toBe(true);
    expect(parseArgs(['x', '--help'], specs).help).toBe(true);
  });
});
