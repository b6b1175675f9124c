'use strict'
// The Node peer for the HTTP figures: @node-oauth/oauth2-server on Express
// through @node-oauth/express-oauth-server, as their documentation shows it:
// password and refresh_token grants (rotation is the library's default),
// GET /invoices/:id behind authenticate({ scope: 'read' }), an in-memory
// model, the argon2 package at OWASP's parameters. The fixture of
// examples/config/ropc.json. No introspection endpoint: the library has none.
//
//   node peer_node.js --port 0      (the first line printed gives the port)
const crypto = require('node:crypto')
const { parseArgs } = require('node:util')
const argon2 = require('argon2')
const express = require('express')
const ExpressOAuthServer = require('@node-oauth/express-oauth-server')

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } })
const OWASP = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 }
const CLIENT = { id: 'billing-app', grants: ['password', 'refresh_token'], accessTokenLifetime: 900, refreshTokenLifetime: 86400 }
const SECRET = Buffer.from('demo-billing-secret-do-not-use-in-production')

async function main() {
  const users = { alice: await argon2.hash('correct horse', OWASP) }
  const access = new Map()
  const refresh = new Map()
  const model = {
    getClient: async (id, secret) =>
      id === CLIENT.id && typeof secret === 'string' && secret.length === SECRET.length && crypto.timingSafeEqual(Buffer.from(secret), SECRET) ? CLIENT : false,
    getUser: async (username, password) => {
      const phc = users[username]
      return phc && (await argon2.verify(phc, password)) ? { username } : false
    },
    validateScope: async (user, client, scope) => {
      const asked = scope && scope.length ? scope : ['read']
      return asked.every((s) => s === 'read' || s === 'write') ? asked : false
    },
    saveToken: async (token, client, user) => {
      const saved = { ...token, client, user }
      access.set(token.accessToken, saved)
      if (token.refreshToken) refresh.set(token.refreshToken, saved)
      return saved
    },
    getAccessToken: async (t) => access.get(t) || false,
    getRefreshToken: async (t) => refresh.get(t) || false,
    revokeToken: async (t) => refresh.delete(t.refreshToken),
    verifyScope: async (token, scope) => scope.every((s) => token.scope.includes(s)),
  }
  const oauth = new ExpressOAuthServer({ model, useErrorHandler: false })
  const app = express()
  app.use(express.urlencoded({ extended: false }))
  app.post('/token', oauth.token({ requireClientAuthentication: { password: true, refresh_token: true } }))
  app.get('/invoices/:id', oauth.authenticate({ scope: ['read'] }), (req, res) => res.json({ invoice: req.params.id }))
  const server = app.listen(Number(values.port), '127.0.0.1', () => {
    console.log(`peer_node listening on http://127.0.0.1:${server.address().port}`)
  })
}
main()
