'use strict'
// JWT access tokens (RFC 9068) from Node: issued by a client set to "jwt",
// checked offline with the key set, served with the RFC 8414 metadata by
// the glue, and verified by a JWT library no one here wrote (jose's
// createRemoteJWKSet and jwtVerify, requiring typ at+jwt).
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const http = require('node:http')
const os = require('node:os')
const path = require('node:path')
const ropc = require('..')

const ISSUER = 'https://as.example'
const API = 'https://api.example'
const base = require(path.join(__dirname, '..', '..', '..', 'tests', 'vectors', 'flows.json')).config

function jwtConfig(algorithm = 'EdDSA') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ropc-jwt-'))
  const kek = path.join(dir, 'kek')
  fs.writeFileSync(kek, 'ab'.repeat(32))
  const c = JSON.parse(JSON.stringify(base))
  c.issuer = ISSUER
  c.signing = { algorithm, key_encryption_key_file: kek }
  Object.assign(c.clients.find((x) => x.id === 'app'), { access_token_format: 'jwt', audience: [API] })
  return c
}

function guard() {
  const c = JSON.parse(JSON.stringify(base))
  delete c.users
  delete c.clients
  return new ropc.ResourceGuard({ ...c, issuer: ISSUER, audience: API })
}

test('a JWT is issued and checked offline with the key set', async () => {
  const server = new ropc.Server(jwtConfig())
  const t = await server.passwordGrant('app', 'app-secret', 'alice', 'alice-pw', 'read')
  assert.equal(t.accessToken.split('.').length, 3)
  const resp = await server.keySetEndpoint('GET')
  assert.equal(resp.status, 200)
  assert.ok(resp.headers.some(([k, v]) => k.toLowerCase() === 'content-type' && v === 'application/jwk-set+json'))
  const keys = new ropc.KeySet(resp.body)
  assert.equal(keys.kids.length, 1)
  const g = guard()
  const p = g.checkJwtRequest(`Bearer ${t.accessToken}`, keys, 'GET /invoices/1', 'read')
  assert.deepEqual([p.username, p.clientId, p.scopes], ['alice', 'app', ['read']])
  assert.throws(() => g.checkJwtRequest(`Bearer ${t.accessToken}`, keys, 'POST /invoices/1', 'write'), (e) => e.code === 'insufficient_scope' && e.status === 403)
  assert.throws(() => g.checkJwtRequest(`Bearer ${t.accessToken.slice(0, -2)}`, keys, 'GET /invoices/1'), { code: 'invalid_token', status: 401 })
  assert.throws(() => g.checkJwtRequest(`Bearer ${t.accessToken}`, {}, 'GET /invoices/1'), TypeError)
  assert.throws(() => new ropc.KeySet('[]'), RangeError)
  assert.throws(() => new ropc.KeySet({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'h' }] }), RangeError)
  assert.equal((await server.check(t.accessToken, 'GET /invoices/1')).username, 'alice', 'the server\'s own check too')
})

test('jose verifies ropc tokens from the key set the glue serves, found through the metadata', async () => {
  const { createRemoteJWKSet, jwtVerify } = await import('jose')
  const server = new ropc.Server(jwtConfig())
  const handler = ropc.tokenHandler(server)
  const httpd = http.createServer((req, res) => handler(req, res))
  await new Promise((r) => httpd.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${/** @type {any} */ (httpd.address()).port}`
  try {
    const metadata = await (await fetch(url + ropc.METADATA_PATH)).json()
    assert.equal(metadata.issuer, ISSUER)
    assert.equal(metadata.jwks_uri, `${ISSUER}/jwks.json`)
    assert.deepEqual(metadata.grant_types_supported, ['password', 'refresh_token'])
    const t = await server.passwordGrant('app', 'app-secret', 'alice', 'alice-pw', 'read')
    // The metadata names the issuer's URL; the test serves it on loopback.
    const jwks = createRemoteJWKSet(new URL(url + '/jwks.json'))
    const { payload, protectedHeader } = await jwtVerify(t.accessToken, jwks, { issuer: ISSUER, audience: API, typ: 'at+jwt', algorithms: ['EdDSA'] })
    assert.equal(protectedHeader.typ, 'at+jwt')
    assert.deepEqual([payload.sub, payload.client_id, payload.scope], ['alice', 'app', 'read'])
    await assert.rejects(jwtVerify(t.accessToken, jwks, { issuer: ISSUER, audience: 'https://other', typ: 'at+jwt' }))
    const post = await fetch(url + '/jwks.json', { method: 'POST' })
    assert.equal(post.status, 405)
  } finally {
    httpd.close()
  }
})

test('ES256 keys verify with jose too', async () => {
  const { createLocalJWKSet, jwtVerify } = await import('jose')
  const server = new ropc.Server(jwtConfig('ES256'))
  const t = await server.passwordGrant('app', 'app-secret', 'alice', 'alice-pw', 'read')
  const jwks = JSON.parse((await server.keySetEndpoint('GET')).body)
  assert.equal(jwks.keys[0].kty, 'EC')
  assert.ok(!('d' in jwks.keys[0]), 'public keys only')
  const { payload } = await jwtVerify(t.accessToken, createLocalJWKSet(jwks), { issuer: ISSUER, audience: API, typ: 'at+jwt' })
  assert.equal(payload.sub, 'alice')
})

/** The authorization server's glue on loopback, counting key-set fetches. */
async function serve(server) {
  const handler = ropc.tokenHandler(server)
  const counts = { keySets: 0 }
  const httpd = http.createServer((req, res) => {
    if (req.url === '/jwks.json') counts.keySets++
    handler(req, res)
  })
  await new Promise((r) => httpd.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${/** @type {any} */ (httpd.address()).port}`
  return { url, counts, close: () => httpd.close() }
}

test('the JWT checker fetches the key set once, checks offline, and leaves opaque tokens to introspection', async () => {
  const server = new ropc.Server(jwtConfig())
  const as = await serve(server)
  try {
    const g = guard()
    const checker = new ropc.JwtChecker(g, as.url + '/jwks.json')
    const t = await server.passwordGrant('app', 'app-secret', 'alice', 'alice-pw', 'read')
    const bearer = `Bearer ${t.accessToken}`
    const all = await Promise.all(Array.from({ length: 5 }, () => checker.checkRequest(bearer, 'GET /invoices/1', 'read')))
    assert.ok(all.every((p) => p.username === 'alice'))
    assert.deepEqual([as.counts.keySets, checker.fetches], [1, 1], 'five checks at once share one fetch')
    await assert.rejects(checker.checkRequest(bearer, 'POST /invoices/1', 'write'), { code: 'insufficient_scope', status: 403 })
    await assert.rejects(checker.checkRequest(bearer.slice(0, -2), 'GET /invoices/1'), { code: 'invalid_token' })
    await assert.rejects(checker.checkRequest('Bearer ' + 'A'.repeat(43), 'GET /invoices/1'), { code: 'invalid_token' })
    // A JWT cannot be recalled: revoked, it passes offline until it expires;
    // a route that must know at once asks introspection (about a JWT too).
    const introspection = new ropc.IntrospectionChecker(g, as.url + '/introspect', 'rs', 'rs-secret')
    await server.revoke('app', 'app-secret', t.refreshToken)
    assert.equal((await checker.checkRequest(bearer, 'GET /invoices/1')).username, 'alice')
    await assert.rejects(introspection.checkRequest(bearer, 'GET /invoices/1'), { code: 'invalid_token' })
    // Opaque tokens go to introspection when it is given.
    const opaque = await server.passwordGrant('app2', 'app2-secret', 'alice', 'alice-pw', 'read')
    const both = new ropc.JwtChecker(g, as.url + '/jwks.json', { introspection })
    assert.equal((await both.checkRequest(`Bearer ${opaque.accessToken}`, 'GET /invoices/1')).username, 'alice')
    assert.equal(both.fetches, 0, 'an opaque token needs no key set')
    introspection.close()
    assert.throws(() => new ropc.JwtChecker(g, 'file:///etc/passwd'), TypeError)
    assert.throws(() => new ropc.JwtChecker(g, as.url, { maxAgeSeconds: 0 }), RangeError)
  } finally {
    as.close()
  }
})

test('a key set that cannot be had answers 503, never a verdict', async () => {
  const probe = http.createServer()
  await new Promise((r) => probe.listen(0, '127.0.0.1', r))
  const port = /** @type {any} */ (probe.address()).port
  await new Promise((r) => probe.close(r))
  const logged = []
  const checker = new ropc.JwtChecker(guard(), `http://127.0.0.1:${port}/jwks.json`, { log: (m) => logged.push(m) })
  const token = ['{"alg":"EdDSA","kid":"x","typ":"at+jwt"}', '{}'].map((p) => Buffer.from(p).toString('base64url')).join('.') + '.AA'
  await assert.rejects(checker.checkRequest(`Bearer ${token}`, 'GET /invoices/1'), (e) => e instanceof ropc.IntrospectionUnavailable && e.status === 503)
  assert.ok(logged.length > 0 && logged.every((m) => !m.includes(token)))
})

test('across two rotations, jose and the JWT checker verify every token, fetching only when they must', async (ctx) => {
  const { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } = await import('jose')
  const hooks = require('../native.js')
  const day = 86400
  let now = 1_700_000_000
  hooks.setTestClockForTests(now)
  ctx.after(() => hooks.setTestClockForTests(null))
  const server = new ropc.Server(jwtConfig())
  const as = await serve(server)
  try {
    const checker = new ropc.JwtChecker(guard(), as.url + '/jwks.json', { clock: () => now, maxAgeSeconds: 100 * day })
    // jose's own cooldown runs on the real clock, which the test's does not move.
    const jose = createRemoteJWKSet(new URL(as.url + '/jwks.json'), { cooldownDuration: 0, cacheMaxAge: 100 * day * 1000 })
    const kids = []
    const tokens = []
    // Keys rotate every 30 days, the next announced 14 days ahead: a grant on
    // day 16 announces it; at the switch a token signed a minute before by
    // the old key still verifies beside the new key's.
    for (const step of [0, 16 * day, 14 * day - 60, 120, 16 * day - 60, 14 * day - 60, 120]) {
      if (step) assert.ok(hooks.advanceTestClockForTests(step))
      now += step
      const t = await server.passwordGrant('app', 'app-secret', 'alice', 'alice-pw', 'read')
      tokens.push(t.accessToken)
      kids.push(decodeProtectedHeader(t.accessToken).kid)
      const fetched = checker.fetches
      for (const token of step === 120 ? tokens.slice(-2) : tokens.slice(-1)) {
        assert.equal((await checker.checkRequest(`Bearer ${token}`, 'GET /invoices/1')).username, 'alice')
        const { payload } = await jwtVerify(token, jose, { issuer: ISSUER, audience: API, typ: 'at+jwt', currentDate: new Date(now * 1000) })
        assert.equal(payload.sub, 'alice')
      }
      // The new key's first token needs no fetch: the set fetched a minute
      // before announced it. Days apart, the server's max-age has run out.
      assert.equal(checker.fetches, fetched + (step === 120 ? 0 : 1), `step ${step}`)
    }
    assert.ok(kids[0] === kids[2] && kids[2] !== kids[3] && kids[3] === kids[5] && kids[5] !== kids[6], 'a new key each period')
    // Tokens naming keys no one published: one fetch per cooldown at most.
    const before = as.counts.keySets
    for (let i = 0; i < 20; i++) {
      const forged = [`{"alg":"EdDSA","kid":"made-up-${i}","typ":"at+jwt"}`, '{}'].map((p) => Buffer.from(p).toString('base64url')).join('.') + '.AA'
      await assert.rejects(checker.checkRequest(`Bearer ${forged}`, 'GET /invoices/1'), { code: 'invalid_token' })
    }
    assert.ok(as.counts.keySets - before <= 1)
  } finally {
    as.close()
  }
})

test('protect (node:http and Express) takes the JWT checker where it takes a Server', async () => {
  const server = new ropc.Server(jwtConfig())
  const as = await serve(server)
  const checker = new ropc.JwtChecker(guard(), as.url + '/jwks.json')
  const guarded = ropc.protect(checker, { scope: 'read' })
  const api = http.createServer((req, res) => guarded(req, res, () => res.end(/** @type {any} */ (req).principal.username)))
  await new Promise((r) => api.listen(0, '127.0.0.1', r))
  const apiUrl = `http://127.0.0.1:${/** @type {any} */ (api.address()).port}`
  try {
    const t = await server.passwordGrant('app', 'app-secret', 'alice', 'alice-pw', 'read')
    const ok = await fetch(apiUrl + '/invoices/1', { headers: { Authorization: `Bearer ${t.accessToken}` } })
    assert.deepEqual([ok.status, await ok.text()], [200, 'alice'])
    const bad = await fetch(apiUrl + '/invoices/1', { headers: { Authorization: `Bearer ${t.accessToken.slice(0, -2)}` } })
    assert.equal(bad.status, 401)
    assert.match(bad.headers.get('www-authenticate') ?? '', /^Bearer realm="ropc-test", error="invalid_token"/)
    // Express, on a route.
    const express = require('express')
    const app = express()
    app.get('/invoices/:id', ropc.protect(checker, { scope: 'read' }), (req, res) => res.json({ user: /** @type {any} */ (req).principal.username }))
    const ex = app.listen(0, '127.0.0.1')
    await new Promise((r) => ex.once('listening', r))
    try {
      const exUrl = `http://127.0.0.1:${/** @type {any} */ (ex.address()).port}`
      const r = await fetch(exUrl + '/invoices/1', { headers: { Authorization: `Bearer ${t.accessToken}` } })
      assert.deepEqual([r.status, await r.json()], [200, { user: 'alice' }])
      assert.equal((await fetch(exUrl + '/invoices/1')).status, 401)
    } finally {
      ex.close()
    }
  } finally {
    api.close()
    as.close()
  }
})
