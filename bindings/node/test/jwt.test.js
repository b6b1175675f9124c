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
