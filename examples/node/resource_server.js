#!/usr/bin/env node
// A resource server on node:http. For each request it asks the authorization
// server's introspection endpoint whether the bearer token is valid (stage 5),
// then lets ropc check the scope and the resource owner's right to the
// resource, with the shared configuration's scopes and rules.
//
//   ROPC_CLIENT_SECRET=... node resource_server.js --config ../config/resource_server.json \
//     --port 9002 --introspect http://127.0.0.1:9000/introspect --client-id invoice-api
//
// The client secret comes from the environment, never the command line.
// --cache-seconds N keeps positive introspection answers N seconds (off by
// default): fewer round trips, but a revoked token is accepted that long.
'use strict'
const fs = require('node:fs')
const http = require('node:http')
const { parseArgs } = require('node:util')
const ropc = require('../../bindings/node') // in your project: require('ropc')
const { accessLog } = require('./access_log.js')

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '9002' },
    introspect: { type: 'string' },
    'client-id': { type: 'string' },
    'cache-seconds': { type: 'string', default: '0' },
  },
})
const secret = process.env.ROPC_CLIENT_SECRET
if (!values.config || !values.introspect || !values['client-id'] || !secret) {
  console.error('usage: ROPC_CLIENT_SECRET=... resource_server.js --config FILE --introspect URL --client-id ID [--port 9002] [--cache-seconds 0]')
  process.exit(2)
}
// Positive introspection answers kept this long (default 0: ask every
// time): fewer round trips, but a revoked token is accepted that long.
const cacheSeconds = Number(values['cache-seconds'])
if (!(cacheSeconds >= 0 && cacheSeconds <= 300)) {
  console.error('resource_server: --cache-seconds must be between 0 and 300')
  process.exit(2)
}
const text = fs.readFileSync(values.config, 'utf8')
const guard = new ropc.ResourceGuard(text)
// A resource server needs the realm, scopes and rules only (see
// examples/config/resource_server.json): hashes it holds can only leak.
const doc = JSON.parse(text)
if ((doc.users && doc.users.length) || (doc.clients || []).some((/** @type {any} */ c) => c.secret_hash)) {
  console.error('resource_server: warning: the configuration holds password or client secret hashes; give a resource server only realm, scopes and rules')
}
const checker = new ropc.IntrospectionChecker(guard, values.introspect, values['client-id'], secret, { cacheSeconds })
const protect = ropc.protect(checker) // resource = "METHOD /path"

const log = accessLog('resource_server')

// `kill -HUP`: the scopes and rules again, from the same file.
ropc.reloadOnSighup(guard, /** @type {string} */ (values.config), (m) => log.line(m))

const httpServer = http.createServer((req, res) => {
  log.request(req, res) // method, path, status: never the query string, never a body
  protect(req, res, (err) => {
    if (err) {
      res.writeHead(500).end()
      return
    }
    const who = req.principal
    const body = JSON.stringify({
      resource: `${req.method} ${new URL(req.url, 'http://x').pathname}`,
      user: who.username,
      client: who.clientId,
      scopes: who.scopes,
      served_by: 'node',
    })
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body)
  })
})
httpServer.listen(Number(values.port), values.host, () => {
  console.log(`resource_server listening on http://${values.host}:${httpServer.address().port}`)
})
