import net from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoTunnel } from './tunnel';

/**
 * The tunnel over real loopback sockets: the "channel" is a TCP connection to
 * a local echo server, standing in for an SSH `direct-tcpip` channel.
 */

let echo: net.Server;
let echoPort = 0;
const echoSockets = new Set<net.Socket>();

beforeAll(async () => {
  echo = net.createServer((s) => {
    echoSockets.add(s);
    s.once('close', () => echoSockets.delete(s));
    s.on('error', () => undefined);
    s.pipe(s);
  });
  echo.listen({ host: '127.0.0.1', port: 0 });
  await once(echo, 'listening');
  echoPort = (echo.address() as net.AddressInfo).port;
});

afterAll(async () => {
  for (const s of echoSockets) s.destroy();
  await new Promise<void>((r) => echo.close(() => r()));
});

async function openChannel(): Promise<net.Socket> {
  const s = net.connect({ host: '127.0.0.1', port: echoPort });
  await once(s, 'connect');
  return s;
}

async function roundTrip(port: number, text: string): Promise<{ socket: net.Socket; reply: string }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  socket.write(text);
  const [data] = (await once(socket, 'data')) as [Buffer];
  return { socket, reply: data.toString() };
}

describe('MongoTunnel', () => {
  it('pipes connections through channels, cuts them all on demand and keeps accepting new ones', async () => {
    const tunnel = await MongoTunnel.open(openChannel);
    try {
      const a = await roundTrip(tunnel.port, 'one');
      const b = await roundTrip(tunnel.port, 'two');
      expect([a.reply, b.reply]).toEqual(['one', 'two']);
      expect(tunnel.activeConnections).toBe(2);

      const closed = Promise.all([once(a.socket, 'close'), once(b.socket, 'close')]);
      tunnel.cutConnections();
      await closed;
      expect(tunnel.activeConnections).toBe(0);
      // The channels went with them.
      await expect.poll(() => echoSockets.size).toBe(0);

      // Same port, new connection, new channel.
      const c = await roundTrip(tunnel.port, 'three');
      expect(c.reply).toBe('three');
      c.socket.destroy();
    } finally {
      await tunnel.close();
    }
  }, 10_000);

  it('closes a connection at once when no channel can be opened', async () => {
    const tunnel = await MongoTunnel.open(() => Promise.reject(new Error('no SSH connection')));
    try {
      const socket = net.connect({ host: '127.0.0.1', port: tunnel.port });
      socket.on('error', () => undefined);
      await once(socket, 'close');
      expect(tunnel.activeConnections).toBe(0);
    } finally {
      await tunnel.close();
    }
  }, 10_000);
});
