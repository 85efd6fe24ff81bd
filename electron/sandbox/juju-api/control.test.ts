import { describe, expect, it } from 'vitest';
import { agentAliveFromPinging } from './control';

describe('agent presence from the sandbox supervisor', () => {
  it('is alive exactly for machines whose agent key pings', async () => {
    const alive = agentAliveFromPinging(() => ['m#0', 'u#mysql/0', 'm#2']);
    expect([...(await alive(['0', '1', '2']))]).toEqual([
      ['0', true],
      ['1', false],
      ['2', true],
    ]);
  });
});
