#!/usr/bin/env node
// An OAuth 2.0 authorization server whose resource owners sit in an existing
// SQL table, with bcrypt hashes another system made (a Rails or Laravel app,
// say). ropc keeps clients, scopes, rules and tokens; the table says who a
// user is. The callbacks are async (a database driver is): ropc calls them
// from the libuv pool and waits without blocking the event loop.
//
//   DATABASE_URL=postgres://app:...@db/app node sql_auth_server.js \
//     --config ropc.json --table legacy_users --port 9000
//
// The table: username text primary key, password_hash text (bcrypt),
// groups text[] (ropc groups, for the rules), active boolean. The
// configuration lists no users. SIGHUP reloads the configuration file
// without dropping a token. When the host changes a password or deactivates
// someone it should call server.revokeUserTokens(username) (here: POST
// /admin/revoke is NOT provided: wire it to your admin tooling).
'use strict'
const http = require('node:http')
const path = require('node:path')
const { parseArgs } = require('node:util')
// In your project: require('bcryptjs'), require('pg') and require('ropc').
// Here they come from the bindings' development dependencies.
const fromBindings = (/** @type {string} */ name) => require(require.resolve(name, { paths: [path.join(__dirname, '../../bindings/node')] }))
const bcrypt = fromBindings('bcryptjs')
const { Pool } = fromBindings('pg')
const ropc = require('../../bindings/node')
const { accessLog } = require('./access_log.js')

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    table: { type: 'string', default: 'legacy_users' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '9000' },
  },
})
if (!values.config || !process.env.DATABASE_URL) {
  console.error('usage: DATABASE_URL=postgres://... sql_auth_server.js --config FILE [--table legacy_users] [--port 9000]')
  process.exit(2)
}
// The table name goes into SQL text: accept a plain identifier only.
if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(values.table)) {
  console.error('sql_auth_server: --table must be a plain SQL identifier')
  process.exit(2)
}

const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: 8,
  connectionTimeoutMillis: 3000,
  statement_timeout: 3000,
})
// An idle client that loses its connection must not crash the process.
pool.on('error', (err) => console.error(`sql_auth_server: database connection lost: ${err.message}`))

// Verified against when the user is unknown, so that the host spends the
// same bcrypt work either way (ropc pads the answers as well).
const DUMMY = bcrypt.hashSync('an unknown user has no password', 12)
const MAX_BCRYPT_COST = 16
// Names match as the column compares them (here exactly; a case-insensitive
// collation or lower(username) = lower($1) would match "Bob" for "bob"):
// the row's own username goes back to ropc as the owner's name, so tokens
// are issued to one subject however the name was typed.
const SELECT = `SELECT username, password_hash, groups, active FROM ${values.table} WHERE username = $1`

/** @type {import('../../bindings/node').Accounts} */
const accounts = {
  async verify(username, password) {
    const { rows } = await pool.query(SELECT, [username])
    if (rows.length === 0) {
      await bcrypt.compare(password, DUMMY)
      return null // unknown user
    }
    const row = rows[0]
    // A cost the row names is bounded before it is paid, as ropc bounds its
    // own hashes: a $2b$31$ hash would hold a thread for hours a login.
    const cost = /^\$2[aby]\$(\d\d)\$/.exec(row.password_hash)
    if (!cost || Number(cost[1]) > MAX_BCRYPT_COST) throw new Error('a stored hash is not bcrypt or its cost is beyond 16')
    if (!(await bcrypt.compare(password, row.password_hash))) return false
    return { groups: row.groups ?? [], enabled: row.active === true, name: row.username }
  },
  async lookup(username) {
    const { rows } = await pool.query(SELECT, [username])
    return rows.length ? { groups: rows[0].groups ?? [], enabled: rows[0].active === true } : null
  },
}

const log = accessLog('sql_auth_server')
const server = ropc.Server.fromFile(values.config, {
  accounts,
  // Never the password: ropc passes only what failed.
  log: (message) => log.line(message),
})
const handler = ropc.tokenHandler(server) // /token, /introspect, /revoke; 404 elsewhere
const httpServer = http.createServer((req, res) => {
  log.request(req, res) // method, path, status: never the query string, never a body
  handler(req, res)
})

ropc.reloadOnSighup(server, /** @type {string} */ (values.config), (m) => log.line(m))

httpServer.listen(Number(values.port), values.host, () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (httpServer.address())
  console.log(`sql_auth_server listening on http://${values.host}:${port}`)
})
