'use strict'
// Empty apps, for the ceiling node:http and Express put on the HTTP figures
// (bench/http/run.py): an answer with no work at all.
//   node empty.js --express --port 0
const http = require('node:http')
const { parseArgs } = require('node:util')

const { values } = parseArgs({ options: { express: { type: 'boolean', default: false }, port: { type: 'string', default: '0' } } })
let handler = (/** @type {any} */ req, /** @type {any} */ res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
if (values.express) {
  const app = require('express')()
  app.get('/invoices/:id', (/** @type {any} */ req, /** @type {any} */ res) => res.json({ ok: true }))
  handler = app
}
const server = http.createServer(handler).listen(Number(values.port), '127.0.0.1', () => {
  console.log(`empty listening on http://127.0.0.1:${/** @type {any} */ (server.address()).port}`)
})
