// WebSocket servers for the browser tests: some are not MQTT brokers, some are brokers that
// misbehave, one is a relay to Mosquitto that the tests can cut. All accept the "mqtt"
// subprotocol. By path:
//   /echo          sends back whatever comes (the client's CONNECT)
//   /text          answers with a text message
//   /close         closes with code 1002 (protocol error) at the first message
//   /connack-cut   answers CONNECT with the first two bytes of a CONNACK, then closes
//   /publish-cut   answers CONNECT with CONNACK, then sends half a PUBLISH and drops the link
//   /bad-topic     answers CONNECT with CONNACK, then a PUBLISH whose topic is not UTF-8
//   /silent        answers CONNECT with CONNACK, then nothing ever: a dead link
//   /pong/NAME     answers CONNECT with CONNACK and each PINGREQ with PINGRESP, and never
//                  drops a client for a late ping; counts the PINGREQs under NAME
//   /revoke/NAME   the first CONNECT under NAME gets a CONNACK, and the link drops 300 ms later;
//                  every later one is refused as not authorized (a password changed meanwhile)
//   /relay/NAME    relays to Mosquitto's WebSocket listener (BROKER_WS_PORT)
//   /tcp-bridge    bridges to MQTT over TCP (TCP_BROKER_PORT), as websockify would: the strict
//                  Mosquitto's TCP listener, which drops a 3.1.1 client over its maximum packet
//                  size (its WebSocket listener lets such packets through)
//   /control       takes text commands, one per message, and answers each:
//                    cut NAME    drops every relay link under NAME (the browser sees 1006)
//                    down NAME   cut, and refuse new relay links under NAME until `up NAME`
//                    up NAME
//                    mute NAME   relay links under NAME stop passing what the client sends
//                    drop NAME T relay links under NAME stop passing packets of type T (1-15)
//                                either way: 5 loses the broker's PUBREC, 6 the client's PUBREL
//                    keep NAME   relay links under NAME pass every packet again, and `sent NAME`
//                                counts from 0
//                    sent NAME   the PUBLISHes relay links under NAME passed to the broker, of
//                                those the ones with DUP set, and the WebSocket messages from
//                                the client that held them: "P D M"
//                    pings NAME  the number of PINGREQs /pong/NAME has answered
//                    dups NAME   the number of PUBLISHes with DUP set that relay links under
//                                NAME passed to the client
// Usage: node scripts/not-mqtt-server.mjs PORT BROKER_WS_PORT TCP_BROKER_PORT
import { createRequire } from 'node:module';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), 'package.json'));
const { WebSocket, WebSocketServer } = require('ws');

const brokerPort = Number(process.argv[3]);
const tcpBrokerPort = Number(process.argv[4]);
const down = new Set();
const relays = new Map(); // name -> Set of { client, upstream, muted }
const dropped = new Map(); // name -> Set of packet types relay links under it do not pass
const sent = new Map(); // name -> { publishes, dups } the client sent through relay links
const pings = new Map(); // name -> count
const admitted = new Set(); // names /revoke has let in once
const dups = new Map(); // name -> count

const server = new WebSocketServer({
  host: '127.0.0.1',
  port: Number(process.argv[2]),
  // A relay that is down refuses the WebSocket handshake, as a stopped broker would.
  verifyClient: ({ req }) => {
    const [, kind, name] = req.url.split('/');
    return !(kind === 'relay' && down.has(name));
  },
});

// The protocol level of a CONNECT (4: 3.1.1, 5: 5.0), or 0 if `data` is not a CONNECT.
function connectLevel(data) {
  if (data.length < 2 || data[0] !== 0x10) return 0;
  let i = 1;
  while (i < data.length && data[i] & 0x80) i++;
  i += 1; // past the remaining length
  // Protocol name (length-prefixed "MQTT"), then the level.
  return data[i + 6] ?? 0;
}

function connack(level) {
  return Buffer.from(level === 5 ? [0x20, 0x03, 0x00, 0x00, 0x00] : [0x20, 0x02, 0x00, 0x00]);
}

// The packet types in one WebSocket message (the client coalesces packets).
function packetTypes(data) {
  return packetHeaders(data).map((first) => first >> 4);
}

// The first byte (type and flags) of each packet in one WebSocket message.
function packetHeaders(data) {
  return packets(data).map((packet) => packet[0]);
}

// The whole MQTT packets in one WebSocket message (the relayed brokers never split one).
function packets(data) {
  const found = [];
  let i = 0;
  while (i < data.length) {
    let length = 0;
    let shift = 0;
    let j = i + 1;
    while (j < data.length) {
      length |= (data[j] & 0x7f) << shift;
      shift += 7;
      if (!(data[j++] & 0x80)) break;
    }
    found.push(data.subarray(i, j + length));
    i = j + length;
  }
  return found;
}

// `data` without the packets whose type the relay links under `name` drop, or null if none is
// left.
function passed(data, name) {
  const types = dropped.get(name);
  if (!types) return data;
  const kept = packets(data).filter((packet) => !types.has(packet[0] >> 4));
  return kept.length ? Buffer.concat(kept) : null;
}

// Answers CONNECT with CONNACK, then hands on what comes next.
function broker(socket, then) {
  let level = 0;
  socket.on('message', (data) => {
    if (!level) {
      level = connectLevel(data);
      if (!level) return socket.close(1002, 'expected CONNECT');
      socket.send(connack(level));
      then(level, null);
    } else {
      then(level, data);
    }
  });
}

function relay(client, name) {
  const upstream = new WebSocket(`ws://127.0.0.1:${brokerPort}/mqtt`, 'mqtt');
  const link = { client, upstream, muted: false };
  if (!relays.has(name)) relays.set(name, new Set());
  relays.get(name).add(link);
  const early = [];
  client.on('message', (message) => {
    const data = passed(message, name);
    if (link.muted || !data) return;
    const publishes = packetHeaders(data).filter((first) => first >> 4 === 3);
    const count = sent.get(name) ?? { publishes: 0, dups: 0, messages: 0 };
    count.publishes += publishes.length;
    count.dups += publishes.filter((first) => first & 0x08).length;
    if (publishes.length) count.messages += 1;
    sent.set(name, count);
    if (upstream.readyState === WebSocket.OPEN) upstream.send(data);
    else early.push(data);
  });
  upstream.on('open', () => early.splice(0).forEach((data) => upstream.send(data)));
  upstream.on('message', (message) => {
    const data = passed(message, name);
    if (!data) return;
    const redelivered = packetHeaders(data).filter((first) => first >> 4 === 3 && first & 0x08);
    if (redelivered.length) dups.set(name, (dups.get(name) ?? 0) + redelivered.length);
    client.send(data);
  });
  const end = () => {
    relays.get(name)?.delete(link);
    client.terminate();
    upstream.terminate();
  };
  upstream.on('close', end);
  upstream.on('error', end);
  client.on('close', end);
  client.on('error', end);
}

function tcpBridge(client) {
  const upstream = net.connect(tcpBrokerPort, '127.0.0.1');
  client.on('message', (data) => upstream.write(data));
  upstream.on('data', (data) => client.send(data));
  const end = () => {
    client.terminate();
    upstream.destroy();
  };
  upstream.on('close', end);
  upstream.on('error', end);
  client.on('close', end);
  client.on('error', end);
}

function cut(name) {
  for (const link of relays.get(name) ?? []) {
    link.client.terminate();
    link.upstream.terminate();
  }
  relays.delete(name);
}

function control(socket) {
  socket.on('message', (data) => {
    const [command, name, argument] = data.toString().split(' ');
    switch (command) {
      case 'cut':
        cut(name);
        break;
      case 'down':
        down.add(name);
        cut(name);
        break;
      case 'up':
        down.delete(name);
        break;
      case 'drop':
        if (!dropped.has(name)) dropped.set(name, new Set());
        dropped.get(name).add(Number(argument));
        break;
      case 'keep':
        dropped.delete(name);
        sent.delete(name);
        break;
      case 'sent': {
        const count = sent.get(name) ?? { publishes: 0, dups: 0, messages: 0 };
        return socket.send(`${count.publishes} ${count.dups} ${count.messages}`);
      }
      case 'mute':
        for (const link of relays.get(name) ?? []) link.muted = true;
        break;
      case 'pings':
        return socket.send(String(pings.get(name) ?? 0));
      case 'dups':
        return socket.send(String(dups.get(name) ?? 0));
      default:
        return socket.send(`unknown command: ${data}`);
    }
    socket.send('ok');
  });
}

server.on('connection', (socket, request) => {
  const [, kind, name] = request.url.split('/');
  switch (kind) {
    case 'relay':
      return relay(socket, name);
    case 'tcp-bridge':
      return tcpBridge(socket);
    case 'control':
      return control(socket);
    case 'connack-cut':
      return socket.once('message', () => {
        socket.send(Buffer.from([0x20, 0x03]));
        setTimeout(() => socket.close(1000, 'bye'), 50);
      });
    case 'publish-cut':
      return broker(socket, (level, data) => {
        if (data) return;
        // PUBLISH, remaining length 16, of which only the topic's length and 2 bytes come.
        setTimeout(() => {
          socket.send(Buffer.from([0x30, 0x10, 0x00, 0x03, 0x74, 0x2f]));
          setTimeout(() => socket.terminate(), 50);
        }, 50);
      });
    case 'bad-topic':
      return broker(socket, (level, data) => {
        if (data) return;
        // QoS 0 PUBLISH, topic 0xff 0xfe (never valid UTF-8), payload "x".
        const properties = level === 5 ? [0x00] : [];
        const body = [0x00, 0x02, 0xff, 0xfe, ...properties, 0x78];
        setTimeout(() => socket.send(Buffer.from([0x30, body.length, ...body])), 50);
      });
    case 'revoke':
      return socket.once('message', (data) => {
        const level = connectLevel(data);
        if (!admitted.has(name)) {
          admitted.add(name);
          socket.send(connack(level));
          setTimeout(() => socket.terminate(), 300);
        } else {
          const refused = level === 5 ? [0x20, 0x03, 0x00, 0x87, 0x00] : [0x20, 0x02, 0x00, 0x05];
          socket.send(Buffer.from(refused));
          setTimeout(() => socket.close(1000), 50);
        }
      });
    case 'silent':
      return broker(socket, () => {});
    case 'pong':
      return broker(socket, (level, data) => {
        if (!data) return;
        for (const type of packetTypes(data)) {
          if (type === 12) {
            pings.set(name, (pings.get(name) ?? 0) + 1);
            socket.send(Buffer.from([0xd0, 0x00]));
          }
        }
      });
  }
  socket.on('message', (data, isBinary) => {
    if (kind === 'echo') socket.send(data, { binary: isBinary });
    else if (kind === 'text') socket.send('hello, this is not MQTT');
    else socket.close(1002, 'not MQTT');
  });
});
server.on('listening', () => console.log(`not-mqtt server on ${server.address().port}`));
