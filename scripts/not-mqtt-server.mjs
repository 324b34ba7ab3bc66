// A WebSocket server that accepts the "mqtt" subprotocol but is not an MQTT broker, for the
// browser tests of how the driver words such servers. By path:
//   /echo   sends back whatever comes (the client's CONNECT)
//   /text   answers with a text message
//   /close  closes with code 1002 (protocol error) at the first message
// Usage: node scripts/not-mqtt-server.mjs PORT
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), 'package.json'));
const { WebSocketServer } = require('ws');

const server = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2]) });
server.on('connection', (socket, request) => {
  socket.on('message', (data, isBinary) => {
    if (request.url.startsWith('/echo')) socket.send(data, { binary: isBinary });
    else if (request.url.startsWith('/text')) socket.send('hello, this is not MQTT');
    else socket.close(1002, 'not MQTT');
  });
});
server.on('listening', () => console.log(`not-mqtt server on ${server.address().port}`));
