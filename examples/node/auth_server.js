#!/usr/bin/env node
// An OAuth 2.0 authorization server (token, introspection, revocation) on
// node:http, with ropc deciding everything.
//
//   node auth_server.js --config ../config/ropc.json --port 9000
//
// --port 0 picks a free port; the first line printed says which. SIGHUP
// reloads the configuration file without dropping a token.
'use strict'
const http = require('node:http')
const { parseArgs } = require('node:util')
const ropc = require('../../bindings/node') // in your project: require('ropc')
const { accessLog } = require('./access_log.js')

const { values } = parseArgs({
  options: { config: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '9000' } },
})
if (!values.config) {
  console.error('usage: auth_server.js --config FILE [--host 127.0.0.1] [--port 9000]')
  process.exit(2)
}
const server = ropc.Server.fromFile(values.config)
const handler = ropc.tokenHandler(server) // /token, /introspect, /revoke; 404 elsewhere
const log = accessLog('auth_server')
const httpServer = http.createServer((req, res) => {
  log.request(req, res) // method, path, status: never the query string, never a body
  if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/metrics') {
    // Prometheus text, to loopback scrapers only: counts of sign-ins and
    // failures are for the operator, not the world.
    const from = req.socket.remoteAddress ?? ''
    if (!(from.startsWith('127.') || from === '::1' || from.startsWith('::ffff:127.'))) {
      res.writeHead(403).end()
      return
    }
    server.metrics().then(
      (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text),
      () => res.writeHead(500).end(),
    )
    return
  }
  handler(req, res)
})
ropc.reloadOnSighup(server, /** @type {string} */ (values.config), (m) => log.line(m))

httpServer.listen(Number(values.port), values.host, () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (httpServer.address())
  console.log(`auth_server listening on http://${values.host}:${port}`)
})
