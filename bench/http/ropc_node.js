'use strict'
// ropc from Node for the HTTP figure "protected resource, checked in
// process": node:http, the token endpoints through tokenHandler and
// GET /invoices/<id> behind ropc.protect(server) (scope read), from the
// configuration file given. bench/http/run.py runs it.
//
//   node ropc_node.js --config ropc.json --port 0
const http = require('node:http')
const { parseArgs } = require('node:util')
const ropc = require('ropc')

const { values } = parseArgs({ options: { config: { type: 'string' }, port: { type: 'string', default: '0' } } })
const server = ropc.Server.fromFile(/** @type {string} */ (values.config))
const tokens = ropc.tokenHandler(server)
const protect = ropc.protect(server, { scope: 'read' })
const httpServer = http.createServer((req, res) => {
  if ((req.url ?? '').startsWith('/invoices/')) {
    return protect(req, res, () => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ invoice: (req.url ?? '').split('/')[2] }))
    })
  }
  tokens(req, res)
})
httpServer.listen(Number(values.port), '127.0.0.1', () => {
  console.log(`ropc_node listening on http://127.0.0.1:${/** @type {any} */ (httpServer.address()).port}`)
})
