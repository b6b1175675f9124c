'use strict'
// The typed API, error codes and fields, bad input of every JS type, panics.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const fs = require('node:fs')
const os = require('node:os')
const ropc = require('..')
const native = require('../loader.js').load()

const config = require(path.join(__dirname, '..', '..', '..', 'tests', 'vectors', 'flows.json')).config
const APP = ['app', 'app-secret']
const fresh = () => new ropc.Server(config)

test('typed flow', async () => {
  const s = fresh()
  const t = await s.passwordGrant(...APP, 'alice', 'alice-pw', 'read write')
  assert.equal(t.accessToken.length, 43)
  assert.equal(t.refreshToken.length, 43)
  assert.deepEqual([t.tokenType, t.expiresIn, t.scope], ['Bearer', 3600, 'read write'])
  const p = await s.check(t.accessToken, 'GET /invoices/1', 'read')
  assert.deepEqual(await s.checkRequest(`Bearer ${t.accessToken}`, 'GET /invoices/1', 'read'), p)
  assert.deepEqual(p, { username: 'alice', clientId: 'app', scopes: ['read', 'write'], groups: ['finance'], expiresAt: p.expiresAt })
  assert.ok(p.expiresAt > 1_700_000_000)
  const info = await s.introspect('rs', 'rs-secret', t.accessToken)
  assert.equal(info.active, true)
  assert.equal(info.username, 'alice')
  assert.deepEqual(await s.introspect('rs', 'rs-secret', 'nope'), { active: false })
  const t2 = await s.refreshGrant(...APP, t.refreshToken, 'read')
  assert.equal(t2.scope, 'read')
  const t3 = await s.refreshGrant(...APP, t2.refreshToken)
  await s.revoke(...APP, t3.refreshToken, 'refresh_token')
  await assert.rejects(s.check(t3.accessToken, 'GET /invoices/1'), { code: 'invalid_token', status: 401 })
  await assert.rejects(s.checkRequest(`Bearer ${t3.accessToken}`, 'GET /invoices/1'), { code: 'invalid_token', status: 401 })
  await s.revoke(...APP, 'unknown')
  const lite = await s.passwordGrant('lite', 'lite-secret', 'alice', 'alice-pw', 'read')
  assert.equal(lite.refreshToken, null)
})

const cases = [
  [(s) => s.passwordGrant('app', 'wrong', 'alice', 'alice-pw'), 'invalid_client', 401, 'client authentication failed', 'Basic'],
  [(s) => s.passwordGrant('spa', null, 'alice', 'alice-pw'), 'unauthorized_client', 400, 'public clients can never use this endpoint', null],
  [(s) => s.passwordGrant(...APP, 'alice', 'wrong'), 'invalid_grant', 400, 'the username or password is wrong', null],
  [(s) => s.passwordGrant(...APP, 'nobody', 'wrong'), 'invalid_grant', 400, 'the username or password is wrong', null],
  [(s) => s.passwordGrant(...APP, 'alice', 'alice-pw', 'admin'), 'invalid_scope', 400, "the scope 'admin' is not allowed for this client", null],
  [(s) => s.refreshGrant(...APP, 'x'.repeat(43)), 'invalid_grant', 400, 'the refresh token is invalid, expired or revoked', null],
  [async (s) => s.check('x'.repeat(43), 'GET /invoices/1'), 'invalid_token', 401, 'the access token is invalid, expired or revoked', 'Bearer'],
  [async (s) => s.check((await s.passwordGrant(...APP, 'alice', 'alice-pw')).accessToken, 'GET /admin/x'), 'insufficient_scope', 403, "the resource is outside the access token's scope", 'Bearer'],
  [async (s) => s.check((await s.passwordGrant(...APP, 'alice', 'alice-pw')).accessToken, 'GET /users/bob/x'), 'access_denied', 403, 'the resource owner may not access this resource', null],
]

for (const [call, code, status, description, scheme] of cases) {
  test(`errors: ${code} (${description})`, async () => {
    const err = await call(fresh()).then(
      () => assert.fail('expected a refusal'),
      (e) => e,
    )
    assert.ok(err instanceof ropc.OAuthError && err instanceof Error)
    assert.equal(err.name, 'OAuthError')
    assert.deepEqual([err.code, err.status, err.description], [code, status, description])
    const body = JSON.parse(err.body)
    assert.deepEqual([body.error, body.error_description, body.scope], [code, description, err.scope ?? undefined])
    const challenge = err.header('WWW-Authenticate')
    assert.equal(challenge ? challenge.split(' ')[0] : null, scheme)
    assert.equal(err.header('Cache-Control'), 'no-store')
  })
}

test('insufficient_scope names the scope; missing credentials have no code', async () => {
  const s = fresh()
  const t = await s.passwordGrant(...APP, 'alice', 'alice-pw', 'read')
  await assert.rejects(s.check(t.accessToken, 'POST /invoices/1'), (e) => e.scope === 'write' && e.header('WWW-Authenticate').includes('scope="write"'))
  await assert.rejects(s.checkRequest(undefined, 'GET /invoices/1'), (e) => e.code === null && e.status === 401 && e.body.length === 0)
})

test('configuration error positions point into text the caller gave', async () => {
  let e = catching(() => new ropc.Server('{\n  "access_token_ttl": "soon"\n}'))
  assert.deepEqual([e.path, e.line, e.column, e.file], ['access_token_ttl', 2, 28, null])
  assert.ok(!/u64/.test(e.detail) && /expected a whole number/.test(e.detail), e.detail)
  assert.match(e.message, /^invalid configuration at access_token_ttl \(line 2, column 28\): /)
  // An object: ropc wrote that JSON, so no position.
  e = catching(() => new ropc.Server({ ...config, access_token_ttl: 'soon' }))
  assert.deepEqual([e.path, e.line, e.column], ['access_token_ttl', null, null])
  assert.ok(!/line/.test(e.message), e.message)
  e = await new ropc.Server(config).reload({ ...config, realm: 5 }).then(() => assert.fail('refused'), (x) => x)
  assert.deepEqual([e.path, e.line], ['realm', null])
  e = catching(() => new ropc.ResourceGuard('{"realm": 5}'))
  assert.deepEqual([e.path, e.line], ['realm', 1])
  // A file: named, with the position in it.
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ropc-')), 'bad.json')
  fs.writeFileSync(file, '{"realm": 5}')
  e = catching(() => ropc.Server.fromFile(file))
  assert.deepEqual([e.file, e.path, e.line], [file, 'realm', 1])
  assert.ok(e.message.startsWith(`invalid configuration in ${file} at realm (line 1, column `), e.message)
})

function catching(f) {
  try {
    f()
  } catch (e) {
    assert.ok(e instanceof ropc.ConfigError, String(e))
    return e
  }
  assert.fail('expected a ConfigError')
}

test('configuration errors say what and where', () => {
  const bad = JSON.parse(JSON.stringify(config))
  bad.clients[0].scopes = ['read', 'nope']
  assert.throws(() => new ropc.Server(bad), (e) => e instanceof ropc.ConfigError && e.code === 'ERR_ROPC_CONFIG' && e.path === 'clients[0].scopes[1]' && /unknown scope/.test(e.detail))
  assert.throws(() => new ropc.Server('{"realm": 5}'), /realm/)
  assert.throws(() => new ropc.Server('{'), ropc.ConfigError)
  assert.throws(() => new ropc.Server(42), TypeError)
  assert.throws(() => new ropc.Server([]), TypeError)
  assert.throws(() => ropc.Server.fromFile('/nonexistent/ropc.json'), (e) => e.code === 'ENOENT' && e.path === '/nonexistent/ropc.json')
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ropc-')), 'ropc.json')
  fs.writeFileSync(file, JSON.stringify(config))
  assert.equal(ropc.Server.fromFile(file).realm, 'ropc-test')
  assert.equal(new ropc.Server(JSON.stringify(config)).realm, 'ropc-test')
  assert.throws(() => new ropc.ResourceGuard('{'), ropc.ConfigError)
})

test('wrong JS types give TypeErrors, never a crash', async () => {
  const s = fresh()
  const bads = [
    () => s.tokenEndpoint(42, {}, null),
    () => s.tokenEndpoint('POST', 'headers', null),
    () => s.tokenEndpoint('POST', { authorization: ['a', 42] }, null),
    () => s.tokenEndpoint('POST', {}, 42),
    () => s.tokenEndpoint('POST', {}, { a: 1 }),
    () => s.passwordGrant('app', 'app-secret', 'alice', 42),
    () => s.passwordGrant('app', 'app-secret', undefined, 'x'),
    () => s.check(Buffer.from('x'), 'GET /x'),
    () => s.checkRequest(5, 'GET /x'),
    () => s.setUserEnabled('alice', 'yes'),
    () => s.passwordGrant('app', 'app-secret', 'alice', Symbol('x')),
    () => s.callBlocking('store', 42),
  ]
  for (const bad of bads) await assert.rejects(async () => bad(), TypeError)
  assert.throws(() => ropc.hashPasswordSync(null), TypeError)
})

test('bodies: strings, Uint8Arrays, huge ones, invalid UTF-8', async () => {
  const s = fresh()
  const headers = { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic YXBwOmFwcC1zZWNyZXQ=' }
  const ok = await s.tokenEndpoint('POST', headers, 'grant_type=password&username=alice&password=alice-pw')
  assert.equal(ok.status, 200)
  const u8 = new TextEncoder().encode('grant_type=password&username=alice&password=alice-pw')
  assert.equal((await s.tokenEndpoint('POST', new Map(Object.entries(headers)), u8)).status, 200)
  const huge = await s.tokenEndpoint('POST', headers, Buffer.alloc(50 * 1024 * 1024, 0x61))
  assert.equal(huge.status, 400)
  assert.match(huge.body.toString(), /larger than 65536/)
  const bad = await s.tokenEndpoint('POST', headers, Buffer.from([0x61, 0x3d, 0xff, 0xfe]))
  assert.equal(JSON.parse(bad.body).error_description, 'parameters must be UTF-8')
  await assert.rejects(s.passwordGrant(...APP, 'alice', 'x'.repeat(5000)), { code: 'invalid_request' })
  assert.throws(() => ropc.hashPasswordSync('x'.repeat(5000)), RangeError)
})

test('hashing and secrets', async () => {
  assert.match(await ropc.hashPassword('pw', { mCost: 64, tCost: 1, pCost: 1 }), /^\$argon2id\$v=19\$m=64,t=1,p=1\$/)
  assert.match(ropc.hashPasswordSync('pw', { mCost: 64, tCost: 1, pCost: 1 }), /^\$argon2id\$/)
  await assert.rejects(ropc.hashPassword('pw', { mCost: 1 }), RangeError)
  assert.match(await fresh().hashPassword('pw'), /m=64,t=1,p=1/)
  const { secret, hash } = ropc.generateClientSecret()
  assert.equal(secret.length, 43)
  assert.equal(ropc.hashClientSecret(secret), hash)
  assert.equal(ropc.version, '0.1.0')
  assert.equal(ropc.MAX_BODY_BYTES, 65536)
})

test('account events', async () => {
  const s = fresh()
  const t = await s.passwordGrant(...APP, 'alice', 'alice-pw')
  await s.setUserPasswordHash('alice', ropc.hashPasswordSync('new', { mCost: 64, tCost: 1, pCost: 1 }))
  await assert.rejects(s.check(t.accessToken, 'GET /invoices/1'), { code: 'invalid_token' })
  await s.passwordGrant(...APP, 'alice', 'new')
  await s.setUserEnabled('alice', false)
  await assert.rejects(s.passwordGrant(...APP, 'alice', 'new'), { code: 'invalid_grant' })
  await s.setUserEnabled('alice', true)
  assert.equal(await s.revokeUserTokens('alice'), true)
  assert.equal(await s.revokeUserTokens('nobody'), false)
  await assert.rejects(s.setUserEnabled('nobody', true), RangeError)
  await assert.rejects(s.setUserPasswordHash('alice', 'garbage'), RangeError)
  assert.equal(JSON.parse(s.configJson()).users[0].username, 'alice')
  assert.equal(await s.purgeExpired(), 0)
  const t2 = await s.passwordGrant(...APP, 'alice', 'new')
  await s.revoke(...APP, t2.refreshToken, 'refresh_token') // the lineage: both tokens
  assert.equal(await s.purgeExpired(), 2)
  assert.equal(await s.purgeExpired(), 0)
})

test('the guard builds the introspection request the server accepts', async () => {
  const s = fresh()
  const guard = new ropc.ResourceGuard(config)
  const t = await s.passwordGrant(...APP, 'alice', 'alice-pw')
  const call = guard.introspectionRequest(t.accessToken, 'rs', 'rs-secret')
  const resp = await s.introspectionEndpoint('POST', { 'content-type': call.contentType, authorization: call.authorization }, call.body)
  assert.equal(resp.status, 200)
  assert.equal(guard.checkIntrospection(resp.body, 'GET /invoices/1').username, 'alice')
})

test('guard inputs', () => {
  const guard = new ropc.ResourceGuard(config)
  const active = { active: true, token_type: 'Bearer', scope: 'read', username: 'alice', client_id: 'app', exp: 4102444800, groups: ['finance'] }
  assert.equal(guard.checkIntrospection(active, 'GET /invoices/1').username, 'alice')
  assert.equal(guard.checkIntrospection(JSON.stringify(active), 'GET /invoices/1').username, 'alice')
  assert.equal(guard.checkIntrospection(Buffer.from(JSON.stringify(active)), 'GET /invoices/1').username, 'alice')
  assert.throws(() => guard.checkIntrospection(42, 'GET /invoices/1'), TypeError)
  assert.equal(guard.bearerToken('Bearer abc'), 'abc')
  assert.throws(() => guard.bearerToken(null), ropc.OAuthError)
  assert.equal(guard.realm, 'ropc-test')
})

test('no panic can abort the process, sync or async', async () => {
  assert.throws(() => native.panicSyncForTests(), Error)
  await assert.rejects(native.panicInTaskForTests(), /ropc panicked/)
  // and the addon still works afterwards
  assert.equal((await fresh().passwordGrant(...APP, 'alice', 'alice-pw')).tokenType, 'Bearer')
})

test('principals keep names with spaces and no groups intact', async () => {
  const cfg = JSON.parse(JSON.stringify(config))
  cfg.users[0].groups = ['finance team', 'audit']
  // (a rule naming a group nobody is in would be refused)
  cfg.rules = cfg.rules.filter((r) => !(r.groups || []).includes('finance'))
  cfg.rules.push({ resources: ['GET /invoices/*'], groups: ['finance team'] })
  const s = new ropc.Server(cfg)
  const t = await s.passwordGrant(...APP, 'alice', 'alice-pw', 'read')
  const p = await s.check(t.accessToken, 'GET /invoices/1', 'read')
  assert.deepEqual(p.groups, ['finance team', 'audit'])
  assert.deepEqual(p.scopes, ['read'])
  const b = await s.passwordGrant(...APP, 'bob', 'bob-pw', 'read')
  assert.deepEqual((await s.check(b.accessToken, 'GET /users/bob/x')).groups, [])
})

test('a principal crosses whole: several scopes and groups, none, names beyond ASCII, whichever path', async () => {
  const guard = new ropc.ResourceGuard(config)
  const answer = (fields) => ({ active: true, token_type: 'Bearer', client_id: 'app', exp: 4102444800, ...fields })
  const many = guard.checkIntrospection(answer({ username: 'zoë', scope: 'read write admin', groups: ['finance', 'fïnance team', 'a b'] }), 'GET /invoices/1', 'read')
  assert.deepEqual(many, { username: 'zoë', clientId: 'app', scopes: ['read', 'write', 'admin'], groups: ['finance', 'fïnance team', 'a b'], expiresAt: 4102444800 })
  // (no check succeeds without a scope: the resource must be in one)
  const none = guard.checkIntrospection(answer({ username: 'bob', client_id: '', scope: 'read' }), 'GET /users/bob/x')
  assert.deepEqual(none, { username: 'bob', clientId: '', scopes: ['read'], groups: [], expiresAt: 4102444800 })
  // The server's own checks, in place and on the pool, give the same object.
  const s = fresh()
  const t = await s.passwordGrant(...APP, 'alice', 'alice-pw', 'read write')
  const expected = { username: 'alice', clientId: 'app', scopes: ['read', 'write'], groups: ['finance'], expiresAt: (await s.check(t.accessToken, 'GET /invoices/1')).expiresAt }
  assert.deepEqual(await s.check(t.accessToken, 'GET /invoices/1'), expected)
  assert.deepEqual(await s.checkRequest(`Bearer ${t.accessToken}`, 'GET /invoices/1'), expected)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ropc-node-'))
  const db = new ropc.Server({ ...config, store: { type: 'sqlite', path: path.join(dir, 'ropc.db') } })
  const d = await db.passwordGrant(...APP, 'alice', 'alice-pw', 'read write')
  assert.deepEqual(await db.check(d.accessToken, 'GET /invoices/1'), { ...expected, expiresAt: (await db.checkRequest(`Bearer ${d.accessToken}`, 'GET /invoices/1')).expiresAt })
  fs.rmSync(dir, { recursive: true, force: true })
})

test('an introspection answer naming anything with a control character is not believed', () => {
  const guard = new ropc.ResourceGuard(config)
  const good = { active: true, token_type: 'Bearer', scope: 'read', username: 'alice', client_id: 'app', exp: 4102444800, groups: ['finance'] }
  assert.equal(guard.checkIntrospection(good, 'GET /invoices/1').username, 'alice')
  for (const bad of [{ username: 'alice\0admin' }, { client_id: 'app\u0001' }, { scope: 'read\twrite' }, { groups: ['finance', 'x\u007f'] }]) {
    assert.throws(() => guard.checkIntrospection({ ...good, ...bad }, 'GET /invoices/1'), { code: 'invalid_token', status: 401 }, JSON.stringify(bad))
  }
})

test('a database store: every call that reads the store runs on the pool, the same answers', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ropc-node-'))
  const cfg = { ...config, store: { type: 'sqlite', path: path.join(dir, 'ropc.db') } }
  const a = new ropc.Server(cfg)
  const b = new ropc.Server(cfg)
  assert.deepEqual(['store', 'password_grant'].map((c) => a.callBlocking(c)), ['waits', 'waits'])
  assert.equal(a.callBlocking('as_client', 'app'), 'waits')
  assert.deepEqual(['store', 'password_grant', 'hash_password'].map((c) => fresh().callBlocking(c)), ['inline', 'cpu', 'cpu'])
  assert.equal(fresh().callBlocking('as_client', 'app'), 'inline')
  const t = await a.passwordGrant(...APP, 'alice', 'alice-pw', 'read')
  assert.equal((await b.check(t.accessToken, 'GET /invoices/1', 'read')).username, 'alice', 'issued by one, accepted by the other')
  assert.equal((await b.checkRequest(`Bearer ${t.accessToken}`, 'GET /invoices/1')).clientId, 'app')
  const t2 = await b.refreshGrant(...APP, t.refreshToken)
  await assert.rejects(a.refreshGrant(...APP, t.refreshToken), { code: 'invalid_grant' }, 'reuse is seen across servers')
  await assert.rejects(b.check(t2.accessToken, 'GET /invoices/1'), { code: 'invalid_token' }, 'and ends the lineage for both')
  const t3 = await a.passwordGrant(...APP, 'alice', 'alice-pw', 'read')
  assert.equal(await b.revokeUserTokens('alice'), true)
  await assert.rejects(a.check(t3.accessToken, 'GET /invoices/1'), { code: 'invalid_token' })
  assert.equal(await a.purgeExpired(), 4, 'the lineage ended by reuse: two refresh and two access tokens')
  assert.equal(await b.purgeExpired(), 0, 'one store: nothing left for the other to drop')
  fs.rmSync(dir, { recursive: true, force: true })
})

test('a store outage: temporarily_unavailable (503) from every call that needs the store', async () => {
  const s = new ropc.Server({ ...config, store: { type: 'unavailable' } })
  const unavailable = { code: 'temporarily_unavailable', status: 503 }
  await assert.rejects(s.passwordGrant(...APP, 'alice', 'alice-pw', 'read'), unavailable)
  await assert.rejects(s.check('A'.repeat(43), 'GET /invoices/1'), (e) => e.code === 'temporarily_unavailable' && e.header('Retry-After') === '2')
  await assert.rejects(s.revokeUserTokens('alice'), unavailable)
  await assert.rejects(s.setUserEnabled('alice', false), unavailable)
  await assert.rejects(s.purgeExpired(), unavailable)
  const resp = await s.tokenEndpoint('POST', { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic YXBwOmFwcC1zZWNyZXQ=' }, 'grant_type=password&username=alice&password=alice-pw&scope=read')
  assert.equal(resp.status, 503)
  assert.equal(JSON.parse(resp.body).error, 'temporarily_unavailable')
})

test("revoking another client's token answers like an unknown one and revokes nothing", async () => {
  const s = fresh()
  const t = await s.passwordGrant(...APP, 'alice', 'alice-pw')
  assert.equal(await s.revoke('lite', 'lite-secret', t.accessToken), undefined)
  assert.equal(await s.revoke('lite', 'lite-secret', 'no-such-token'), undefined)
  assert.equal((await s.check(t.accessToken, 'GET /invoices/1')).username, 'alice')
})

test('a repeated Authorization header is joined and refused by the core, in pairs or as an array', async () => {
  const s = fresh()
  const body = 'grant_type=password&username=alice&password=alice-pw'
  const basic = 'Basic YXBwOmFwcC1zZWNyZXQ='
  for (const headers of [
    [['content-type', 'application/x-www-form-urlencoded'], ['authorization', basic], ['Authorization', basic]],
    { 'content-type': 'application/x-www-form-urlencoded', authorization: [basic, basic] },
  ]) {
    const r = await s.tokenEndpoint('POST', headers, body)
    assert.equal(r.status, 400)
    assert.deepEqual(JSON.parse(r.body.toString()), { error: 'invalid_request', error_description: 'the Authorization header appears more than once' })
  }
})

test('responses keep their headers as an ordered list of pairs, as in C and Python', async () => {
  const s = fresh()
  const resp = await s.tokenEndpoint('POST', { 'content-type': 'application/x-www-form-urlencoded' }, 'grant_type=password')
  assert.equal(resp.status, 401)
  assert.ok(Array.isArray(resp.headers))
  assert.ok(resp.headers.every((h) => Array.isArray(h) && h.length === 2 && h.every((x) => typeof x === 'string')))
  const challenge = resp.headers.find(([n]) => n === 'WWW-Authenticate')
  assert.ok(challenge && challenge[1].startsWith('Basic '), JSON.stringify(resp.headers))
  assert.equal(ropc.headerOf(resp, 'www-authenticate'), challenge[1], 'any case')
  assert.equal(ropc.headerOf(resp, 'X-Absent'), null)
})

test('errorResponse gives the core\'s ready response for an RFC code, and refuses another', () => {
  const s = fresh()
  const r = s.errorResponse('server_error', 'something broke')
  assert.equal(r.status, 500)
  assert.deepEqual(JSON.parse(r.body), { error: 'server_error', error_description: 'something broke' })
  assert.equal(ropc.headerOf(r, 'cache-control'), 'no-store')
  assert.throws(() => s.errorResponse('no_such_code', 'x'), /not an OAuth error code/)
})

test('a response crosses packed in one string: headers exact, the body byte for byte', async () => {
  const s = fresh()
  // The core keeps a description to RFC 6749's characters: '?' for the rest.
  const r = s.errorResponse('invalid_client', 'caf\u00e9 \u20ac\u0000 \ud83d\ude00')
  assert.equal(r.status, 401)
  assert.deepEqual(r.headers.map(([n]) => n), ['Content-Type', 'Cache-Control', 'Pragma', 'WWW-Authenticate'])
  assert.ok(Buffer.isBuffer(r.body))
  assert.deepEqual(JSON.parse(r.body.toString('utf8')), { error: 'invalid_client', error_description: 'caf? ?? ?' })
  // A revocation's short body, and the unpacking itself: an empty body, a NUL in the body.
  const t = await s.passwordGrant(...APP, 'alice', 'alice-pw', 'read')
  const basic = `Basic ${Buffer.from('app:app-secret').toString('base64')}`
  const revoked = await s.revocationEndpoint('POST', { 'content-type': 'application/x-www-form-urlencoded', authorization: basic }, `token=${t.accessToken}`)
  assert.equal(revoked.status, 200)
  assert.equal(revoked.body.toString(), '{}')
  const { toResponse } = require('../errors.js')
  assert.deepEqual(toResponse('204\u00000\u0000'), { status: 204, headers: [], body: Buffer.alloc(0) })
  assert.deepEqual(toResponse('200\u00001\u0000A\u0000b\u0000x\u0000y'), { status: 200, headers: [['A', 'b']], body: Buffer.from('x\u0000y') })
  assert.deepEqual(toResponse('200\u00000\u0000\u20ac').body, Buffer.from([0xe2, 0x82, 0xac]), 'UTF-8 out')
})

test('metrics: Prometheus text counting each outcome once, typed and HTTP alike', async () => {
  const s = fresh()
  const sample = (text, series) => Number((text.split('\n').find((l) => l.startsWith(`${series} `)) || ' 0').split(' ').pop())
  const ok = 'ropc_requests_total{operation="password",outcome="ok"}'
  const bad = 'ropc_requests_total{operation="password",outcome="invalid_grant"}'
  assert.equal(sample(await s.metrics(), ok), 0)
  const t = await s.passwordGrant(...APP, 'alice', 'alice-pw', 'read')
  await assert.rejects(s.passwordGrant(...APP, 'alice', 'wrong', 'read'), { code: 'invalid_grant' })
  const basic = `Basic ${Buffer.from('app:app-secret').toString('base64')}`
  const resp = await s.tokenEndpoint('POST', { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, 'grant_type=password&username=alice&password=alice-pw&scope=read')
  assert.equal(resp.status, 200)
  const text = await s.metrics()
  assert.match(text, /^# HELP ropc_requests_total /m)
  assert.equal(sample(text, ok), 2)
  assert.equal(sample(text, bad), 1)
  assert.equal(sample(text, 'ropc_live_tokens{kind="access"}'), 2)
  assert.ok(!text.includes(t.accessToken) && !text.includes('alice'))
})

test('audit events: to options.events with the request context, never a secret, never holding a request', async () => {
  const seen = []
  const s = new ropc.Server(config, { events: (e) => seen.push(e) })
  await s.passwordGrant(...APP, 'alice', 'alice-pw', 'read')
  await assert.rejects(s.passwordGrant(...APP, 'alice', 'Bad-Guess-5', 'read'), { code: 'invalid_grant' })
  const basic = `Basic ${Buffer.from('app:app-secret').toString('base64')}`
  await s.tokenEndpoint('POST', { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, 'grant_type=password&username=alice&password=alice-pw&scope=read', { remoteAddr: '192.0.2.9', requestId: 'abc-1' })
  for (let i = 0; i < 2000 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 5))
  assert.deepEqual(seen.map((e) => [e.kind, e.reason]), [['token_issued', undefined], ['login_failed', 'wrong_password'], ['token_issued', undefined]])
  assert.equal(seen[0].client_id, 'app')
  assert.equal(seen[0].username, 'alice')
  assert.equal(seen[0].grant_id.length, 32)
  assert.equal(seen[2].remote_addr, '192.0.2.9')
  assert.equal(seen[2].request_id, 'abc-1')
  assert.ok(!JSON.stringify(seen).includes('alice-pw') && !JSON.stringify(seen).includes('Bad-Guess-5'))
  assert.throws(() => new ropc.Server(config, { events: 42 }), TypeError)
  // A handler that throws is logged; the next event comes.
  const logged = []
  let calls = 0
  const t = new ropc.Server(config, {
    events: () => {
      calls++
      if (calls === 1) throw new Error('the host handler failed')
    },
    log: (m) => logged.push(m),
  })
  await t.passwordGrant(...APP, 'alice', 'alice-pw', 'read')
  await t.passwordGrant(...APP, 'alice', 'alice-pw', 'read')
  for (let i = 0; i < 2000 && calls < 2; i++) await new Promise((r) => setTimeout(r, 5))
  assert.equal(calls, 2)
  assert.match(logged[0], /the events handler failed on a token_issued event/)
})

const ALL_KINDS = ['token_issued', 'token_refreshed', 'refresh_retried', 'refresh_reuse', 'login_failed', 'account_locked',
  'account_unlocked', 'token_revoked', 'user_tokens_revoked', 'introspected', 'password_rehashed', 'store_error'].sort()

test('every kind of audit event reaches Node', async (ctx) => {
  const c = JSON.parse(JSON.stringify(config))
  c.throttle = { max_failures: 2, lockout_seconds: 1, forget_after_seconds: 60 }
  c.password_hashing = { m_cost: 128, t_cost: 1, p_cost: 1 } // alice's hash is re-made at her sign-in
  c.clients.find((x) => x.id === 'app').refresh_grace_seconds = 30
  const seen = []
  // The test clock (the test-hooks build): the lock runs out when the test says, not after a sleep.
  const clock = require('../native.js')
  clock.setTestClockForTests(1_700_000_000)
  ctx.after(() => clock.setTestClockForTests(null))
  const s = new ropc.Server(c, { events: (e) => seen.push(e) })
  const t = await s.passwordGrant(...APP, 'alice', 'alice-pw', 'read')
  await s.introspect('rs', 'rs-secret', t.accessToken)
  const first = await s.refreshGrant(...APP, t.refreshToken)
  await s.revoke(...APP, first.accessToken)
  const retry = await s.refreshGrant(...APP, t.refreshToken) // the answer above "was lost"
  await s.refreshGrant(...APP, retry.refreshToken) // the lineage moves on
  await assert.rejects(s.refreshGrant(...APP, t.refreshToken), { code: 'invalid_grant' }) // a copy: reuse
  await s.revokeUserTokens('alice')
  for (let i = 0; i < 3; i++) await assert.rejects(s.passwordGrant(...APP, 'bob', 'Bad-Guess-5', 'read'), { code: 'invalid_grant' })
  await assert.rejects(s.passwordGrant(...APP, 'bob', 'bob-pw', 'read'), { code: 'invalid_grant' }, 'locked, even to the right password')
  assert.equal(clock.advanceTestClockForTests(1), true) // the lock's one second has run out
  await s.passwordGrant(...APP, 'bob', 'bob-pw', 'read')
  const down = new ropc.Server({ ...c, store: { type: 'unavailable' } }, { events: (e) => seen.push(e) })
  await assert.rejects(down.passwordGrant(...APP, 'alice', 'alice-pw', 'read'), { code: 'temporarily_unavailable' })
  const kinds = () => [...new Set(seen.map((e) => e.kind))].sort()
  for (let i = 0; i < 2000 && kinds().length < ALL_KINDS.length; i++) await new Promise((r) => setTimeout(r, 5))
  assert.deepEqual(kinds(), ALL_KINDS)
  const rehashed = seen.find((e) => e.kind === 'password_rehashed')
  assert.match(rehashed.password_hash, /^\$argon2id\$v=19\$m=128,t=1,p=1\$/)
  assert.equal(seen.find((e) => e.kind === 'introspected').client_id, 'rs')
  assert.equal(seen.find((e) => e.kind === 'refresh_reuse').grant_id, seen.find((e) => e.kind === 'token_issued').grant_id)
  const text = JSON.stringify(seen)
  for (const secret of ['alice-pw', 'bob-pw', 'Bad-Guess-5', 'app-secret', t.accessToken, t.refreshToken]) assert.ok(!text.includes(secret))
})

test('every metric family is exposed', async () => {
  const text = await fresh().metrics()
  for (const family of ['ropc_requests_total', 'ropc_lockouts_total', 'ropc_locked_refusals_total', 'ropc_refresh_reuse_total', 'ropc_refresh_retries_total',
    'ropc_store_errors_total', 'ropc_events_dropped_total', 'ropc_live_tokens', 'ropc_throttled_accounts',
    'ropc_store_seconds', 'ropc_password_verification_seconds', 'ropc_password_queue']) {
    assert.ok(text.includes(`# TYPE ${family} `), family)
  }
})

test('without an events handler, a store outage and other warnings reach the log, as in Python', async () => {
  const lines = []
  const c = config
  const up = new ropc.Server(c, { log: (m) => lines.push(m) })
  await up.passwordGrant(...APP, 'alice', 'alice-pw', 'read') // token_issued: INFO, not logged
  const down = new ropc.Server({ ...c, store: { type: 'unavailable' } }, { log: (m) => lines.push(m) })
  await assert.rejects(down.passwordGrant(...APP, 'alice', 'alice-pw', 'read'), { code: 'temporarily_unavailable' })
  for (let i = 0; i < 2000 && !lines.some((l) => l.includes('"store_error"')); i++) await new Promise((r) => setTimeout(r, 5))
  const audit = lines.filter((l) => l.startsWith('audit: '))
  assert.ok(audit.some((l) => JSON.parse(l.slice(7)).kind === 'store_error'), lines.join('\n'))
  assert.ok(!audit.some((l) => l.includes('"token_issued"')), 'INFO events are not made without a handler')
  assert.ok(!lines.join('\n').includes('alice-pw'))
})

test('reloadFile reads through the core, strictly, for a server and a guard', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ropc-')), 'ropc.json')
  const s = new ropc.Server(config)
  const guard = new ropc.ResourceGuard(config)
  // The client "app" renamed "appé": a two-byte character, then cut inside it.
  const renamed = { ...config, clients: config.clients.map((c) => (c.id === 'app' ? { ...c, id: 'app\u00e9' } : c)) }
  const whole = Buffer.from(JSON.stringify(renamed))
  fs.writeFileSync(file, whole.subarray(0, whole.indexOf(Buffer.from('\u00e9')) + 1))
  await assert.rejects(s.reloadFile(file), (e) => e instanceof ropc.ConfigError && /not UTF-8/.test(e.message) && e.file === file)
  assert.throws(() => guard.reloadFile(file), ropc.ConfigError)
  assert.ok((await s.passwordGrant(...APP, 'alice', 'alice-pw', 'read')).accessToken, 'the old configuration serves on')
  fs.writeFileSync(file, whole)
  await s.reloadFile(file)
  guard.reloadFile(file)
  await assert.rejects(s.passwordGrant(...APP, 'alice', 'alice-pw', 'read'), { code: 'invalid_client' })
})
