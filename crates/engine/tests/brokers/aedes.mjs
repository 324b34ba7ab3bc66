// An aedes MQTT 3.1.1 broker over WebSocket on 127.0.0.1, for the engine's native tests (crates/engine/tests/aedes.rs).
//
//   node crates/engine/tests/brokers/aedes.mjs SCRIPTS_DIR
//
// SCRIPTS_DIR holds the node_modules with aedes and ws (this repo's scripts/). The broker
// listens on a port the system picks and prints `listening PORT`; it exits when its standard
// input closes, so it cannot outlive the test that started it.
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const scripts = path.resolve(process.argv[2] ?? 'scripts')
// Both packages are loaded from SCRIPTS_DIR: ES modules ignore NODE_PATH.
const require = createRequire(path.join(scripts, 'package.json'))
const { Aedes } = await import(pathToFileURL(require.resolve('aedes')).href)
const { WebSocketServer, createWebSocketStream } = require('ws')

const broker = await Aedes.createBroker()
const server = createServer()
const sockets = new WebSocketServer({ server, path: '/mqtt' })
sockets.on('connection', (socket, request) => {
  broker.handle(createWebSocketStream(socket), request)
})
server.listen(0, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`)
})

process.stdin.on('end', () => process.exit(0))
process.stdin.resume()
