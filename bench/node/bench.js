'use strict'
// From Node: ropc beside @node-oauth/oauth2-server (in-memory model, the
// argon2 package at OWASP's parameters) on one fixture. Each figure runs for
// a few seconds after a warm-up, repeated, median taken; one request in
// flight unless said otherwise. Prints JSON.
const crypto = require('node:crypto')
const argon2 = require('argon2')
const OAuth2Server = require('@node-oauth/oauth2-server')
const ropc = require('ropc')

const { Request, Response } = OAuth2Server
const SECONDS = Number(process.env.BENCH_SECONDS || 2)
const REPEATS = Number(process.env.BENCH_REPEATS || 5)
const CLIENT_ID = 'app'
const CLIENT_SECRET = 'app-secret-for-the-benchmark'
const BASIC = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`
const FORM = 'application/x-www-form-urlencoded'
const OWASP = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 }

/** Median operations per second; `inFlight` operations run concurrently. */
async function rate(op, inFlight = 1) {
  await op()
  const warm = performance.now() + Math.min(500, SECONDS * 1000)
  while (performance.now() < warm) await op()
  const results = []
  for (let r = 0; r < REPEATS; r++) {
    let n = 0
    const start = performance.now()
    const stop = start + SECONDS * 1000
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (performance.now() < stop) {
        await op()
        n++
      }
    }))
    results.push(n / ((performance.now() - start) / 1000))
  }
  results.sort((a, b) => a - b)
  return results[Math.floor(results.length / 2)]
}

async function makeRopc() {
  const server = new ropc.Server({
    scopes: [{ name: 'read', resources: ['GET /invoices/*'] }, { name: 'write', resources: ['POST /invoices/*'] }],
    clients: [{ id: CLIENT_ID, secret_hash: ropc.hashClientSecret(CLIENT_SECRET), grant_types: ['password', 'refresh_token'], scopes: ['read', 'write'], default_scopes: ['read'] }],
    users: [{ username: 'alice', password_hash: await ropc.hashPassword('correct horse') }],
    rules: [{ resources: ['* /invoices/*'], users: ['alice'] }],
  })
  const headers = { 'content-type': FORM, authorization: BASIC }
  return {
    token: async (form) => {
      const r = await server.tokenEndpoint('POST', headers, new URLSearchParams(form).toString())
      if (r.status !== 200) throw new Error(`ropc: ${r.status} ${r.body}`)
      return JSON.parse(r.body)
    },
    // The check as every caller makes it: answered in place (the memory store never waits), in a Promise.
    check: (accessToken) => server.checkRequest(`Bearer ${accessToken}`, 'GET /invoices/42', 'read'),
  }
}

async function makePeer() {
  const users = { alice: await argon2.hash('correct horse', OWASP) }
  const client = { id: CLIENT_ID, grants: ['password', 'refresh_token'] }
  const access = new Map()
  const refresh = new Map()
  const model = {
    getClient: async (id, secret) =>
      id === CLIENT_ID && secret !== null && crypto.timingSafeEqual(Buffer.from(secret.padEnd(64)), Buffer.from(CLIENT_SECRET.padEnd(64))) ? client : false,
    getUser: async (username, password) => {
      const phc = users[username]
      return phc && (await argon2.verify(phc, password)) ? { username } : false
    },
    validateScope: async (user, c, scope) => (scope && scope.every((s) => s === 'read' || s === 'write') ? scope : ['read']),
    saveToken: async (token, c, user) => {
      const saved = { ...token, client: c, user }
      access.set(token.accessToken, saved)
      if (token.refreshToken) refresh.set(token.refreshToken, saved)
      return saved
    },
    getAccessToken: async (t) => access.get(t) || false,
    getRefreshToken: async (t) => refresh.get(t) || false,
    revokeToken: async (token) => refresh.delete(token.refreshToken),
    verifyScope: async (token, scope) => scope.every((s) => token.scope.includes(s)),
  }
  const server = new OAuth2Server({ model, alwaysIssueNewRefreshToken: true })
  return {
    token: async (form) => {
      const body = new URLSearchParams(form).toString()
      const request = new Request({ method: 'POST', query: {}, body: form,
        headers: { 'content-type': FORM, 'content-length': String(body.length), authorization: BASIC } })
      const response = new Response()
      const t = await server.token(request, response)
      return { access_token: t.accessToken, refresh_token: t.refreshToken }
    },
    check: async (accessToken) => {
      const request = new Request({ method: 'GET', query: {}, headers: { authorization: `Bearer ${accessToken}` } })
      return server.authenticate(request, new Response(), { scope: ['read'] })
    },
  }
}

async function measure(lib) {
  const out = {}
  const login = () => lib.token({ grant_type: 'password', username: 'alice', password: 'correct horse', scope: 'read write' })
  out.password_grant_per_s = await rate(login)
  out.password_grant_2_concurrent_per_s = await rate(login, 2)
  let current = (await login()).refresh_token
  const refreshOnce = async () => {
    const t = await lib.token({ grant_type: 'refresh_token', refresh_token: current })
    current = t.refresh_token
    return t
  }
  out.refresh_grant_per_s = await rate(refreshOnce)
  const live = []
  for (let i = 0; i < 1000; i++) live.push((await refreshOnce()).access_token)
  let i = 0
  out.bearer_check_per_s = await rate(() => lib.check(live[(i = (i + 1) % live.length)]))
  return out
}

async function main() {
  const phc = await argon2.hash('pw', OWASP)
  const results = {
    argon2_verify_per_s: await rate(() => argon2.verify(phc, 'pw')),
    libraries: {},
    versions: {
      ropc: ropc.version,
      '@node-oauth/oauth2-server': require('@node-oauth/oauth2-server/package.json').version,
      argon2: require('argon2/package.json').version,
      node: process.version,
    },
  }
  for (const [name, make] of [['ropc', makeRopc], ['node-oauth2-server', makePeer]]) {
    console.error(`node: ${name}...`)
    results.libraries[name] = await measure(await make())
  }
  console.log(JSON.stringify(results, null, 1))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
