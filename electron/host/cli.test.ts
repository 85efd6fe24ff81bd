import { describe, expect, it } from 'vitest';
import { parseBrowserCliArgs } from './cli';

describe('browser-mode command line', () => {
  it('defaults to any free port and opening the browser', () => {
    expect(parseBrowserCliArgs([], {})).toEqual({ port: 0, open: true });
  });

  it('reads --port, --no-open and their environment variables, flags winning', () => {
    expect(parseBrowserCliArgs(['--port', '8080', '--no-open'], {})).toEqual({ port: 8080, open: false });
    expect(parseBrowserCliArgs(['--port=9000'], {})).toEqual({ port: 9000, open: true });
    expect(parseBrowserCliArgs([], { QUORUM_PORT: '7000', QUORUM_NO_OPEN: '1' })).toEqual({ port: 7000, open: false });
    expect(parseBrowserCliArgs(['--port', '0'], { QUORUM_PORT: '7000' })).toEqual({ port: 0, open: true });
  });

  it('refuses bad ports and unknown options with a sentence that says what to do', () => {
    expect(() => parseBrowserCliArgs(['--port', 'abc'], {})).toThrow(/port number between 0 and 65535/);
    expect(() => parseBrowserCliArgs(['--port'], {})).toThrow(/--port needs a number/);
    expect(() => parseBrowserCliArgs(['--port', '70000'], {})).toThrow(/65535/);
    expect(() => parseBrowserCliArgs([], { QUORUM_PORT: '-1' })).toThrow(/QUORUM_PORT/);
    expect(() => parseBrowserCliArgs(['--verbose'], {})).toThrow(/Unknown option --verbose/);
  });
});
