'use strict'
// DPoP (RFC 9449) from Node, proven with a client no one here wrote:
// oauth4webapi (its DPoP support, ES256 keys) finds the endpoints through the
// RFC 8414 metadata, gets a DPoP-bound token with the password grant
// (its generic token request: oauth4webapi has no ROPC helper), refreshes it
// with the same key and calls a resource behind ropc.protect.
const test = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const path = require('node:path')
const ropc = require('..')

const base = require(path.join(__dirname, '..', '..', '..', 'tests', 'vectors', 'flows.json')).config

test('oauth4webapi gets, refreshes and uses a DPoP-bound token; replays are refused', async () => {
  const oauth = await import('oauth4webapi')
  /** @type {any} */
  const holder = {}
  const httpd = http.createServer((req, res) => holder.handle(req, res))
  await new Promise((r) => httpd.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${/** @type {any} */ (httpd.address()).port}`
  const c = JSON.parse(JSON.stringify(base))
  c.issuer = url // proofs name the token endpoint: the issuer's /token
  c.clients.find((x) => x.id === 'app').dpop = 'required'
  const server = new ropc.Server(c)
  const tokens = ropc.tokenHandler(server)
  const guarded = ropc.protect(server, { scope: 'read' })
  holder.handle = (req, res) => {
    if (req.url.startsWith('/invoices/')) guarded(req, res, () => res.end(req.principal.username))
    else tokens(req, res)
  }
  try {
    const insecure = { [oauth.allowInsecureRequests]: true }
    const issuer = new URL(url)
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }))
    assert.equal(as.token_endpoint, `${url}/token`)
    const client = { client_id: 'app' }
    const auth = oauth.ClientSecretBasic('app-secret')
    const keyPair = await oauth.generateKeyPair('ES256')
    const DPoP = oauth.DPoP(client, keyPair)
    const grant = await oauth.genericTokenEndpointRequest(as, client, auth, 'password', { username: 'alice', password: 'alice-pw', scope: 'read' }, { DPoP, ...insecure })
    const t = await oauth.processGenericTokenEndpointResponse(as, client, grant)
    assert.equal(t.token_type, 'dpop')
    const resource = new URL(`${url}/invoices/1`)
    const call = async (/** @type {string} */ token, /** @type {any} */ dpop) => oauth.protectedResourceRequest(token, 'GET', resource, undefined, undefined, { DPoP: dpop, ...insecure })
    let r = await call(t.access_token, DPoP)
    assert.deepEqual([r.status, await r.text()], [200, 'alice'])
    const refreshed = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, auth, /** @type {string} */ (t.refresh_token), { DPoP, ...insecure }))
    assert.equal(refreshed.token_type, 'dpop')
    r = await call(refreshed.access_token, DPoP)
    assert.equal(r.status, 200)
    // The token replayed as a bearer token, or with another key's proofs: refused.
    r = await fetch(resource, { headers: { Authorization: `Bearer ${refreshed.access_token}` } })
    assert.equal(r.status, 401)
    const thief = oauth.DPoP(client, await oauth.generateKeyPair('ES256'))
    await assert.rejects(call(refreshed.access_token, thief), (e) => {
      const err = /** @type {any} */ (e)
      return err instanceof oauth.WWWAuthenticateChallengeError && err.cause[0].scheme === 'dpop' && err.cause[0].parameters.error === 'invalid_dpop_proof'
    })
    // Two DPoP headers (node:http joins them): refused, whatever they hold.
    r = await fetch(resource, { headers: [['Authorization', `DPoP ${refreshed.access_token}`], ['DPoP', 'a.b.c'], ['DPoP', 'a.b.c']] })
    assert.equal(r.status, 401)
    assert.match(String(r.headers.get('www-authenticate')), /more than one DPoP header/)
    // Without a proof, this client gets no token.
    const plain = await fetch(`${url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('app:app-secret').toString('base64')}` },
      body: 'grant_type=password&username=alice&password=alice-pw',
    })
    assert.deepEqual([plain.status, (await plain.json()).error], [400, 'invalid_dpop_proof'])
  } finally {
    httpd.close()
  }
})

test('server nonces: oauth4webapi is asked for one, retries with it, and gets a bound token and a refresh', async () => {
  const oauth = await import('oauth4webapi')
  /** @type {any} */
  const holder = { given: [] }
  const httpd = http.createServer((req, res) => holder.handle(req, res))
  await new Promise((r) => httpd.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${/** @type {any} */ (httpd.address()).port}`
  const c = JSON.parse(JSON.stringify(base))
  c.issuer = url
  c.dpop_nonce = { lifetime_seconds: 60 }
  c.clients.find((x) => x.id === 'app').dpop = 'required'
  const server = new ropc.Server(c)
  const tokens = ropc.tokenHandler(server)
  holder.handle = (/** @type {any} */ req, /** @type {any} */ res) => {
    const writeHead = res.writeHead.bind(res)
    res.writeHead = (/** @type {number} */ status, /** @type {any} */ headers) => {
      const flat = Array.isArray(headers) ? headers : Object.entries(headers || {}).flat()
      const at = flat.findIndex((/** @type {any} */ n, /** @type {number} */ i) => i % 2 === 0 && String(n).toLowerCase() === 'dpop-nonce')
      holder.given.push([status, at >= 0 ? flat[at + 1] : undefined])
      return writeHead(status, headers)
    }
    tokens(req, res)
  }
  try {
    const insecure = { [oauth.allowInsecureRequests]: true }
    const as = { issuer: url, token_endpoint: `${url}/token` }
    const client = { client_id: 'app' }
    const auth = oauth.ClientSecretBasic('app-secret')
    const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'))
    const ask = async () => oauth.processGenericTokenEndpointResponse(as, client,
      await oauth.genericTokenEndpointRequest(as, client, auth, 'password', { username: 'alice', password: 'alice-pw', scope: 'read' }, { DPoP, ...insecure }))
    let nonceErrors = 0
    let t
    try {
      t = await ask()
    } catch (err) {
      assert.ok(oauth.isDPoPNonceError(err), String(err))
      nonceErrors++
      t = await ask() // oauth4webapi kept the DPoP-Nonce the refusal carried
    }
    assert.equal(nonceErrors, 1)
    assert.equal(t.token_type, 'dpop')
    assert.deepEqual(holder.given.map((/** @type {any} */ g) => g[0]), [400, 200])
    assert.ok(holder.given.every((/** @type {any} */ g) => typeof g[1] === 'string' && g[1].length === 32), 'a nonce with every answer')
    const refreshed = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, auth, /** @type {string} */ (t.refresh_token), { DPoP, ...insecure }))
    assert.equal(refreshed.token_type, 'dpop')
    assert.equal(holder.given.at(-1)[0], 200, 'the refresh used the nonce it was last given')
  } finally {
    httpd.close()
  }
})

test('checkWithProof takes bearer tokens as checkRequest does, and refuses a DPoP request without a proof', async () => {
  const server = new ropc.Server(base)
  const t = await server.passwordGrant('app', 'app-secret', 'alice', 'alice-pw', 'read')
  const p = await server.checkWithProof(`Bearer ${t.accessToken}`, null, 'GET', 'https://api.example/invoices/1', 'GET /invoices/1', 'read')
  assert.equal(p.username, 'alice')
  await assert.rejects(server.checkWithProof(`DPoP ${t.accessToken}`, null, 'GET', 'https://api.example/invoices/1', 'GET /invoices/1'), (e) => {
    const err = /** @type {any} */ (e)
    return err.code === 'invalid_dpop_proof' && err.status === 401 && err.headers.some(([n, v]) => n === 'WWW-Authenticate' && v.startsWith('DPoP realm='))
  })
  await assert.rejects(server.checkWithProof(`Bearer ${t.accessToken}`, null, 42, 'u', 'GET /invoices/1'), TypeError)
})

test('resource servers elsewhere (IntrospectionChecker, JwtChecker) take an oauth4webapi DPoP token with its proofs', async () => {
  const oauth = await import('oauth4webapi')
  const fs = require('node:fs')
  const os = require('node:os')
  const kek = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ropc-dpop-')), 'kek')
  fs.writeFileSync(kek, 'ab'.repeat(32))
  /** @type {any} */
  const holder = {}
  const httpd = http.createServer((req, res) => holder.handle(req, res))
  await new Promise((r) => httpd.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${/** @type {any} */ (httpd.address()).port}`
  const c = JSON.parse(JSON.stringify(base))
  c.issuer = url
  c.signing = { algorithm: 'EdDSA', key_encryption_key_file: kek }
  Object.assign(c.clients.find((x) => x.id === 'app'), { dpop: 'required', access_token_format: 'jwt', audience: ['https://api.example'] })
  const server = new ropc.Server(c)
  const g = JSON.parse(JSON.stringify(base))
  delete g.users
  delete g.clients
  const guard = new ropc.ResourceGuard({ ...g, issuer: url, audience: 'https://api.example' })
  const introspection = new ropc.IntrospectionChecker(guard, `${url}/introspect`, 'rs', 'rs-secret')
  const offline = new ropc.JwtChecker(guard, `${url}/jwks.json`)
  const tokens = ropc.tokenHandler(server)
  const routes = /** @type {Record<string, any>} */ ({
    '/a/': ropc.protect(introspection, { resource: 'GET /invoices/1', scope: 'read' }),
    '/b/': ropc.protect(offline, { resource: 'GET /invoices/1', scope: 'read' }),
  })
  holder.handle = (/** @type {any} */ req, /** @type {any} */ res) => {
    const guarded = routes[req.url.slice(0, 3)]
    if (guarded) guarded(req, res, () => res.end(req.principal.username))
    else tokens(req, res)
  }
  try {
    const insecure = { [oauth.allowInsecureRequests]: true }
    const as = { issuer: url, token_endpoint: `${url}/token` }
    const client = { client_id: 'app' }
    const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'))
    const grant = await oauth.genericTokenEndpointRequest(as, client, oauth.ClientSecretBasic('app-secret'), 'password', { username: 'alice', password: 'alice-pw', scope: 'read' }, { DPoP, ...insecure })
    const t = await oauth.processGenericTokenEndpointResponse(as, client, grant)
    assert.equal(t.token_type, 'dpop')
    for (const prefix of ['/a/', '/b/']) {
      const resource = new URL(`${url}${prefix}invoices/1`)
      const r = await oauth.protectedResourceRequest(t.access_token, 'GET', resource, undefined, undefined, { DPoP, ...insecure })
      assert.deepEqual([r.status, await r.text()], [200, 'alice'], prefix)
      const bearer = await fetch(resource, { headers: { Authorization: `Bearer ${t.access_token}` } })
      assert.equal(bearer.status, 401, prefix)
    }
  } finally {
    introspection.close()
    httpd.close()
  }
})
