'use strict'
// tokenHandler and protect on node:http and on Express.
const test = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const path = require('node:path')
const ropc = require('..')

const config = require(path.join(__dirname, '..', '..', '..', 'tests', 'vectors', 'flows.json')).config
const BASIC = `Basic ${Buffer.from('app:app-secret').toString('base64')}`
const FORM = 'application/x-www-form-urlencoded'

async function listen(handler) {
  const server = http.createServer(handler)
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) }
}

async function login(url) {
  const r = await fetch(`${url}/token`, {
    method: 'POST',
    headers: { 'Content-Type': FORM, Authorization: BASIC },
    body: 'grant_type=password&username=alice&password=alice-pw&scope=read',
  })
  assert.equal(r.status, 200)
  assert.equal(r.headers.get('cache-control'), 'no-store')
  return (await r.json()).access_token
}

test('node:http: tokenHandler and protect', async () => {
  const server = new ropc.Server(config)
  const tokens = ropc.tokenHandler(server)
  const guard = ropc.protect(server, { scope: 'read' })
  const app = await listen((req, res) =>
    tokens(req, res, () =>
      guard(req, res, () => {
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end(req.principal.username)
      }),
    ),
  )
  try {
    const token = await login(app.url)
    let r = await fetch(`${app.url}/invoices/1`, { headers: { Authorization: `Bearer ${token}` } })
    assert.deepEqual([r.status, await r.text()], [200, 'alice'])
    r = await fetch(`${app.url}/invoices/1`)
    assert.equal(r.status, 401)
    // The configuration has a DPoP client: both schemes, in one field.
    assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="ropc-test", DPoP realm="ropc-test", algs="EdDSA ES256"')
    r = await fetch(`${app.url}/users/bob/x`, { headers: { Authorization: `Bearer ${token}` } })
    assert.equal(r.status, 403)
    assert.equal((await r.json()).error, 'access_denied')
    r = await fetch(`${app.url}/token`)
    assert.equal(r.status, 405)
    r = await fetch(`${app.url}/token`, { method: 'POST', headers: { 'Content-Type': FORM, Authorization: BASIC }, body: 'x'.repeat(1 << 20) })
    assert.equal(r.status, 400)
  } finally {
    await app.close()
  }
})

test('Express: tokenHandler as middleware, protect on a route', async () => {
  const express = require('express')
  const server = new ropc.Server(config)
  const app = express()
  app.use(ropc.tokenHandler(server))
  app.get('/invoices/:id', ropc.protect(server, { scope: 'read' }), (req, res) => res.json({ id: req.params.id, user: req.principal.username }))
  const running = await listen(app)
  try {
    const token = await login(running.url)
    let r = await fetch(`${running.url}/invoices/9`, { headers: { Authorization: `Bearer ${token}` } })
    assert.deepEqual(await r.json(), { id: '9', user: 'alice' })
    r = await fetch(`${running.url}/invoices/9`, { headers: { Authorization: 'Bearer nope' } })
    assert.equal(r.status, 401)
    assert.match(r.headers.get('www-authenticate'), /error="invalid_token"/)
  } finally {
    await running.close()
  }
})

test('Express with express.raw before ropc still works; a parsed body is refused clearly', async () => {
  const express = require('express')
  const server = new ropc.Server(config)
  const raw = express()
  raw.use(express.raw({ type: FORM }))
  raw.use(ropc.tokenHandler(server))
  const parsed = express()
  const logged = []
  parsed.use(express.urlencoded({ extended: false }))
  parsed.use(ropc.tokenHandler(server, {}, { log: (m) => logged.push(m) }))
  const a = await listen(raw)
  const b = await listen(parsed)
  try {
    await login(a.url)
    const r = await fetch(`${b.url}/token`, { method: 'POST', headers: { 'Content-Type': FORM, Authorization: BASIC }, body: 'grant_type=password' })
    // Not Express's HTML page: the RFC 6749 answer, and the fix in the log.
    assert.equal(r.status, 500)
    assert.equal(r.headers.get('content-type'), 'application/json;charset=UTF-8')
    assert.deepEqual(await r.json(), { error: 'server_error', error_description: 'the server could not read the request' })
    assert.equal(logged.length, 1)
    assert.match(logged[0], /mount ropc before body parsers/)
  } finally {
    await a.close()
    await b.close()
  }
})

test('an introspection endpoint that answers anything but 200 is unavailable (503), logged, never an inactive token', async () => {
  for (const [status, body] of [[401, '{"error":"invalid_client"}'], [404, 'not found'], [503, '{"error":"temporarily_unavailable"}']]) {
    const as = http.createServer((req, res) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(body))
    await new Promise((r) => as.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${as.address().port}/introspect`
    const logged = []
    const guard = new ropc.ResourceGuard(config)
    const checker = new ropc.IntrospectionChecker(guard, url, 'rs', 'wrong-secret', { log: (m) => logged.push(m) })
    await assert.rejects(checker.checkRequest(`Bearer ${'A'.repeat(43)}`, 'GET /invoices/1'), ropc.IntrospectionUnavailable)
    assert.equal(logged.length, 1)
    assert.match(logged[0], new RegExp(`answered HTTP ${status}`))
    assert.ok(!logged[0].includes('A'.repeat(43)), 'no token in the log')
    const rs = http.createServer((req, res) => ropc.protect(checker)(req, res, () => res.end('served')))
    await new Promise((r) => rs.listen(0, '127.0.0.1', r))
    const resp = await fetch(`http://127.0.0.1:${rs.address().port}/invoices/1`, { headers: { authorization: `Bearer ${'A'.repeat(43)}` } })
    assert.equal(resp.status, 503, `the end user's token is not declared invalid when the AS answers ${status}`)
    // One shape for every "try again shortly": what a store outage answers.
    const down = new ropc.Server({ ...config, store: { type: 'unavailable' } }, { log: () => {} })
    const store = await down.checkRequest(`Bearer ${'A'.repeat(43)}`, 'GET /invoices/1').catch((e) => e)
    assert.ok(store instanceof ropc.OAuthError && store.code === 'temporarily_unavailable')
    assert.equal(resp.headers.get('retry-after'), store.header('Retry-After'))
    assert.equal(resp.headers.get('content-type'), store.header('Content-Type'))
    assert.equal((await resp.json()).error, JSON.parse(store.body.toString()).error)
    const err = await checker.checkRequest(`Bearer ${'A'.repeat(43)}`, 'GET /invoices/1').catch((e) => e)
    assert.ok(err instanceof ropc.OAuthError, 'an OAuthError, as every refusal')
    assert.equal(err.code, 'temporarily_unavailable')
    assert.match(err.cause, new RegExp(`answered HTTP ${status}`))
    await new Promise((r) => rs.close(r))
    await new Promise((r) => as.close(r))
  }
})

test('protect names resources by the one rule: what is authorized is what a backend would serve', async () => {
  const server = new ropc.Server(config)
  const guard = ropc.protect(server)
  const app = await listen((req, res) => guard(req, res, () => res.writeHead(200).end('served')))
  try {
    const token = (await server.passwordGrant('app', 'app-secret', 'alice', 'alice-pw', 'read')).accessToken
    const get = (target) =>
      new Promise((resolve, reject) => {
        // Raw targets: fetch() would normalize them before they are sent.
        const req = http.request(`${app.url}/`, { path: target, headers: { Authorization: `Bearer ${token}` } }, (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode))
        })
        req.on('error', reject)
        req.end()
      })
    assert.equal(await get('/users/alice/docs'), 200)
    for (const target of ['//evil/users/alice/x', '/users/alice/%2e%2e/bob/x', '/users/alice/..%2fbob', '/users/alice/../bob/x']) {
      assert.equal(await get(target), 400, target)
    }
  } finally {
    await app.close()
  }
})

test('two Authorization headers are refused by protect and tokenHandler, not resolved to the first', async () => {
  const server = new ropc.Server(config)
  const tokens = ropc.tokenHandler(server)
  const guard = ropc.protect(server)
  const app = await listen((req, res) => tokens(req, res, () => guard(req, res, () => res.writeHead(200).end('served'))))
  try {
    const token = (await server.passwordGrant('app', 'app-secret', 'alice', 'alice-pw', 'read')).accessToken
    const send = (method, target, authorization, body) =>
      new Promise((resolve, reject) => {
        const headers = { Authorization: authorization }
        if (body) headers['Content-Type'] = FORM
        const req = http.request(`${app.url}${target}`, { method, headers }, (res) => {
          let text = ''
          res.on('data', (c) => (text += c))
          res.on('end', () => resolve([res.statusCode, text]))
        })
        req.on('error', reject)
        req.end(body)
      })
    assert.equal((await send('GET', '/invoices/1', `Bearer ${token}`))[0], 200)
    const [status, body] = await send('GET', '/invoices/1', [`Bearer ${token}`, 'Bearer nope'])
    assert.equal(status, 400)
    assert.match(body, /appears more than once/)
    const [s2, b2] = await send('POST', '/token', [BASIC, 'Basic bGl0ZTpsaXRlLXNlY3JldA=='], 'grant_type=password&username=alice&password=alice-pw')
    assert.equal(s2, 400)
    assert.match(b2, /appears more than once/)
  } finally {
    await app.close()
  }
})

/** The introspection endpoint of `server` on loopback (keep-alive), counting connections and requests. */
async function authorizationServer(server) {
  const handler = ropc.tokenHandler(server)
  const counts = { connections: 0, requests: 0 }
  const as = http.createServer((req, res) => {
    counts.requests++
    handler(req, res)
  })
  as.on('connection', () => counts.connections++)
  await new Promise((r) => as.listen(0, '127.0.0.1', r))
  return { counts, url: `http://127.0.0.1:${as.address().port}/introspect`, close: () => new Promise((r) => as.close(r)) }
}

test('the introspection checker keeps its connection alive', async () => {
  const server = new ropc.Server(config)
  const token = (await server.passwordGrant('app', 'app-secret', 'alice', 'alice-pw', 'read')).accessToken
  const as = await authorizationServer(server)
  const checker = new ropc.IntrospectionChecker(new ropc.ResourceGuard(config), as.url, 'rs', 'rs-secret')
  try {
    for (let i = 0; i < 20; i++) assert.equal((await checker.checkRequest(`Bearer ${token}`, 'GET /invoices/1')).username, 'alice')
    assert.deepEqual(as.counts, { connections: 1, requests: 20 })
  } finally {
    checker.close()
    await as.close()
  }
})

test('the introspection cache is off by default, and bounded in time when on', async () => {
  const server = new ropc.Server(config)
  const token = (await server.passwordGrant('app', 'app-secret', 'alice', 'alice-pw', 'read')).accessToken
  const bearer = `Bearer ${token}`
  const as = await authorizationServer(server)
  let now = 1000
  const plain = new ropc.IntrospectionChecker(new ropc.ResourceGuard(config), as.url, 'rs', 'rs-secret')
  const cached = new ropc.IntrospectionChecker(new ropc.ResourceGuard(config), as.url, 'rs', 'rs-secret', { cacheSeconds: 30, clock: () => now })
  try {
    for (let i = 0; i < 3; i++) {
      await plain.checkRequest(bearer, 'GET /invoices/1')
      await cached.checkRequest(bearer, 'GET /invoices/1')
    }
    assert.equal(as.counts.requests, 3 + 1, 'without a cache every check asks; with one, once')
    await server.revoke('app', 'app-secret', token)
    await assert.rejects(plain.checkRequest(bearer, 'GET /invoices/1'), { code: 'invalid_token' })
    now += 29
    assert.equal((await cached.checkRequest(bearer, 'GET /invoices/1')).username, 'alice', 'the documented delay')
    now += 1
    await assert.rejects(cached.checkRequest(bearer, 'GET /invoices/1'), { code: 'invalid_token' })
    const asked = as.counts.requests
    await assert.rejects(cached.checkRequest(bearer, 'GET /invoices/1'), { code: 'invalid_token' })
    assert.equal(as.counts.requests, asked + 1, 'inactive answers are never kept')
    assert.throws(() => new ropc.IntrospectionChecker(new ropc.ResourceGuard(config), 'ftp://x/introspect', 'rs', 'rs-secret'), TypeError)
  } finally {
    plain.close()
    cached.close()
    await as.close()
  }
})
