// A minimal MQTT-over-WebSocket reflector for the large-payload workload: the WebSocket listener
// of Mosquitto 2.0.11 (Debian's build) stalls on packets past about 8 KB going out, sending the
// rest of a partly written packet only on a later pass of its loop (64 KB x 10 all at once from
// node's ws client: 7 back after 5 s, then about one a second), so that workload would measure
// the broker, not the clients.
//
// It answers CONNECT with CONNACK and SUBSCRIBE with SUBACK (QoS as asked), sends every QoS 0
// PUBLISH straight back to its sender as one WebSocket message per packet (as Mosquitto does),
// answers PINGREQ, and closes on DISCONNECT. One client, one topic: enough for the bench.
import { createRequire } from 'node:module';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { WebSocketServer } = createRequire(join(root, 'scripts/package.json'))('ws');

export function startReflector() {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    maxPayload: 256 * 1024 * 1024,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
  });
  server.on('connection', (socket) => {
    let pending = Buffer.alloc(0);
    let v5 = false;
    socket.on('message', (data) => {
      pending = pending.length ? Buffer.concat([pending, data]) : data;
      for (;;) {
        // The fixed header: type, remaining length (1 to 4 bytes).
        let length = 0;
        let at = 1;
        let multiplier = 1;
        for (; at < pending.length && at <= 4; at++) {
          length += (pending[at] & 127) * multiplier;
          multiplier *= 128;
          if (!(pending[at] & 128)) break;
        }
        if (at >= pending.length || pending.length < at + 1 + length) break;
        const packet = pending.subarray(0, at + 1 + length);
        pending = pending.subarray(at + 1 + length);
        const body = packet.subarray(at + 1);
        switch (packet[0] >> 4) {
          case 1: // CONNECT: protocol name (2 + 4 bytes), then the level
            v5 = body[6] === 5;
            socket.send(v5 ? Buffer.from([0x20, 3, 0, 0, 0]) : Buffer.from([0x20, 2, 0, 0]));
            break;
          case 3: // PUBLISH: straight back
            socket.send(packet);
            break;
          case 8: { // SUBSCRIBE: grant the QoS asked for (one filter)
            const qos = packet[packet.length - 1] & 3;
            socket.send(v5 ? Buffer.from([0x90, 4, body[0], body[1], 0, qos]) : Buffer.from([0x90, 3, body[0], body[1], qos]));
            break;
          }
          case 12: // PINGREQ
            socket.send(Buffer.from([0xd0, 0]));
            break;
          case 14: // DISCONNECT
            socket.close();
            break;
          default:
            break;
        }
      }
    });
  });
  return new Promise((ok) => server.on('listening', () => ok({
    url: `ws://127.0.0.1:${server.address().port}/mqtt`,
    close: () => server.close(),
  })));
}
