'use strict'
// Resource owners kept by the host, from Node: sync and async (Promise)
// callbacks called from the libuv pool, their failures, equal answers for
// unknown / wrong / disabled / locked (counted, not timed), the owner-state
// cache, the authorize hook, reload, and ...Sync twins that refuse.
const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const ropc = require('..')

const config = (accounts = {}) => ({
  password_hashing: { m_cost: 64, t_cost: 1, p_cost: 1 },
  allow_weak_password_hashing: true,
  throttle: { max_failures: 3, lockout_seconds: 100, forget_after_seconds: 1000 },
  accounts: { min_verify_ms: 1, owner_cache_seconds: 60, ...accounts },
  scopes: [{ name: 'read', resources: ['GET /docs/*'] }],
  clients: [{ id: 'app', secret_hash: ropc.hashClientSecret('app-secret'), grant_types: ['password', 'refresh_token'], scopes: ['read'], default_scopes: ['read'] }],
  rules: [{ resources: ['* /docs/*'], groups: ['staff'] }],
})

const scrypt = (pw) => crypto.scryptSync(pw, 'salt', 32).toString('hex')

/** A host's user table with async methods, like a database driver's. */
function directory() {
  const users = new Map([
    ['alice', { hash: scrypt('alice-pw'), groups: ['staff'], enabled: true }],
    ['dave', { hash: scrypt('dave-pw'), groups: ['staff'], enabled: false }],
  ])
  const host = {
    users,
    verifies: 0,
    lookups: 0,
    fail: null,
    async verify(username, password) {
      host.verifies++
      if (host.fail) return host.fail()
      await new Promise((r) => setImmediate(r))
      const u = users.get(username)
      if (!u) return null
      if (scrypt(password) !== u.hash) return false
      return { groups: u.groups, enabled: u.enabled }
    },
    lookup(username) {
      host.lookups++
      if (host.fail) return host.fail()
      const u = users.get(username)
      return u ? { groups: u.groups, enabled: u.enabled } : null
    },
  }
  return host
}

const APP = ['app', 'app-secret']

test('host owners get tokens; their groups reach the rules; the loop stays free', async () => {
  const host = directory()
  const s = new ropc.Server(config(), { accounts: host })
  // verify awaits setImmediate: it can only finish if the event loop runs
  // while ropc waits for it on the pool.
  const t = await s.passwordGrant(...APP, 'alice', 'alice-pw')
  const p = await s.check(t.accessToken, 'GET /docs/1')
  assert.deepEqual([p.username, p.groups], ['alice', ['staff']])
  assert.equal(host.lookups, 0)
  assert.deepEqual(['store', 'password_grant'].map((c) => s.callBlocking(c)), ['waits', 'waits'], 'every call goes to the waiting threads')
  assert.equal(s.callBlocking('as_client', 'app'), 'waits')
  assert.equal(host.verifies, 1)
})

test('unknown, wrong, disabled and locked answer alike; the locked one never reaches the host', async () => {
  const host = directory()
  const s = new ropc.Server(config(), { accounts: host })
  const bodies = new Set()
  for (const [u, pw] of [['nobody', 'x'], ['dave', 'dave-pw'], ['alice', 'no'], ['alice', 'no'], ['alice', 'no'], ['alice', 'alice-pw']]) {
    await assert.rejects(s.passwordGrant(...APP, u, pw), (e) => {
      bodies.add(`${e.status} ${e.body}`)
      return e.code === 'invalid_grant'
    })
  }
  assert.equal(bodies.size, 1)
  assert.equal(host.verifies, 5)
  const stats = s.accountsStats()
  assert.deepEqual([stats.verifyCalls, stats.paced], [5, 6])
  assert.ok(stats.paceTargetUs >= 1000)
})

test('a callback that throws, rejects, answers nonsense or never settles is a logged 500, never a grant', async () => {
  const cases = [
    [() => { throw new Error('db down') }, 'Error: db down'],
    [() => Promise.reject(new TypeError('boom')), 'TypeError: boom'],
    [() => 'yes', 'must return'],
    [() => ({ groups: 'staff' }), 'groups must be an array'],
    [() => new Promise(() => {}), null],
  ]
  for (const [fail, logged] of cases) {
    const host = directory()
    const logs = []
    const s = new ropc.Server(config({ callback_timeout_ms: 300 }), { accounts: host, log: (m) => logs.push(m) })
    host.fail = fail
    await assert.rejects(s.passwordGrant(...APP, 'alice', 'alice-pw'), (e) => {
      assert.equal(e.code, 'server_error')
      assert.equal(e.status, 500)
      assert.ok(!e.body.toString().includes('alice-pw'))
      return true
    })
    if (logged) assert.ok(logs.some((m) => m.includes(logged)), logs.join('\n'))
    assert.ok(!logs.join('').includes('alice-pw'))
    assert.equal(s.accountsStats().failures, 1)
  }
})

test('the owner-state cache, forgetOwner and immediate revocation', async () => {
  const host = directory()
  const s = new ropc.Server(config(), { accounts: host })
  const t = await s.passwordGrant(...APP, 'alice', 'alice-pw')
  s.forgetOwner('alice')
  for (let i = 0; i < 3; i++) await s.check(t.accessToken, 'GET /docs/1')
  assert.equal(host.lookups, 1)
  host.fail = () => { throw new Error('down') }
  s.forgetOwner('alice')
  await assert.rejects(s.check(t.accessToken, 'GET /docs/1'), { code: 'server_error', status: 500 })
  host.fail = null
  assert.equal(await s.revokeUserTokens('alice'), true)
  await assert.rejects(s.check(t.accessToken, 'GET /docs/1'), { code: 'invalid_token' })
  await assert.rejects(s.setUserEnabled('alice', false), (e) => e instanceof ropc.AccountError && e.code === 'ERR_ROPC_ACCOUNT')
})

test('the authorize hook, sync or async, after the scope check', async () => {
  const seen = []
  const authorize = async (principal, resource, scope) => {
    seen.push([principal.username, principal.groups, resource, scope])
    return !resource.endsWith('/secret')
  }
  const s = new ropc.Server(config(), { accounts: directory(), authorize })
  const t = (await s.passwordGrant(...APP, 'alice', 'alice-pw')).accessToken
  assert.equal((await s.check(t, 'GET /docs/1', 'read')).username, 'alice')
  await assert.rejects(s.check(t, 'GET /docs/secret'), { code: 'access_denied', status: 403 })
  await assert.rejects(s.check(t, 'PUT /docs/1'), { code: 'insufficient_scope' })
  assert.deepEqual(seen, [['alice', ['staff'], 'GET /docs/1', 'read'], ['alice', ['staff'], 'GET /docs/secret', null]])
  const bad = new ropc.Server(config({ authorize: 'instead_of_rules' }), { accounts: directory(), authorize: () => 1, log: () => {} })
  const t2 = (await bad.passwordGrant(...APP, 'alice', 'alice-pw')).accessToken
  await assert.rejects(bad.checkRequest(`Bearer ${t2}`, 'GET /docs/1'), (e) => e.code === 'server_error' && e.header('www-authenticate') === null)
})

test('bad options are refused at construction', async () => {
  assert.throws(() => new ropc.Server(config(), { accounts: { verify() {} } }), /lookup/)
  assert.throws(() => new ropc.Server(config(), { authorize: 42 }), /authorize/)
  const withUsers = { ...config(), users: [{ username: 'bob', password_hash: ropc.hashPasswordSync('bob-pw', { mCost: 64, tCost: 1, pCost: 1 }) }] }
  assert.throws(() => new ropc.Server(withUsers, { accounts: directory() }), (e) => e instanceof ropc.ConfigError && e.path === 'users')
})

test('reload keeps tokens and callbacks; a bad document changes nothing', async () => {
  const host = directory()
  const s = new ropc.Server(config(), { accounts: host })
  const t = await s.passwordGrant(...APP, 'alice', 'alice-pw')
  const next = config()
  next.scopes.push({ name: 'admin', resources: ['* /admin/*'] })
  await s.reload(next)
  assert.equal((await s.check(t.accessToken, 'GET /docs/1')).username, 'alice')
  await assert.rejects(s.reload({ scopes: [{ name: 'bad scope', resources: [] }] }), (e) => e instanceof ropc.ConfigError && e.path === 'scopes[0].name')
  await assert.rejects(s.reload({ ...next, store: { type: 'sqlite', path: '/nonexistent/x.db' } }), { path: 'store' })
  assert.equal((await s.check(t.accessToken, 'GET /docs/1')).username, 'alice')
})

test('many sign-ins at once all reach async callbacks without blocking each other', async () => {
  const host = directory()
  for (let i = 0; i < 8; i++) host.users.set(`u${i}`, { hash: scrypt(`pw${i}`), groups: ['staff'], enabled: true })
  const s = new ropc.Server(config(), { accounts: host })
  const all = await Promise.all([...Array(8).keys()].map((i) => s.passwordGrant(...APP, `u${i}`, `pw${i}`)))
  assert.equal(all.length, 8)
  assert.equal(host.verifies, 8)
})

test('the Node adapter passes the accounts conformance suite, sync and async callbacks alike', async () => {
  const fixture = { username: 'alice', password: 'alice-pw', groups: ['staff'], disabled: ['dave', 'dave-pw'], unknown: 'nobody' }
  assert.equal(await ropc.checkAccounts(directory(), fixture), null)
  const sync = directory()
  const plain = { verify: (u, p) => { const r = sync.users.get(u); if (!r) return null; return scrypt(p) === r.hash ? { groups: r.groups, enabled: r.enabled } : false }, lookup: sync.lookup }
  assert.equal(await ropc.checkAccounts(plain, fixture), null)
  const truncating = directory()
  const inner = truncating.verify
  truncating.verify = (u, p) => inner(u, p.split('\0')[0])
  assert.match(await ropc.checkAccounts(truncating, fixture), /NUL/)
})

test('a new credentialVersion from the host ends older tokens; a bad one is a 500', async () => {
  const host = directory()
  let credentialVersion = 1
  const inner = host.verify
  const accounts = {
    async verify(u, p) {
      const o = await inner(u, p)
      return o && { ...o, credentialVersion }
    },
    lookup(u) {
      const o = host.lookup(u)
      return o && { ...o, credentialVersion }
    },
  }
  const s = new ropc.Server(config(), { accounts, log: () => {} })
  const t = await s.passwordGrant(...APP, 'alice', 'alice-pw')
  credentialVersion = 2
  s.forgetOwner('alice')
  await assert.rejects(s.check(t.accessToken, 'GET /docs/1'), { code: 'invalid_token' })
  const t2 = await s.passwordGrant(...APP, 'alice', 'alice-pw')
  s.forgetOwner('alice')
  assert.equal((await s.check(t2.accessToken, 'GET /docs/1')).username, 'alice')
  credentialVersion = -1
  await assert.rejects(s.passwordGrant(...APP, 'alice', 'alice-pw'), { code: 'server_error' })
})

/** A directory that matches names as LDAP matches uid and names the account. */
function looseDirectory() {
  const host = directory()
  const strict = host.verify
  host.verify = async (username, password) => {
    const name = username.trim().toLowerCase()
    const owner = await strict(name, password)
    return owner && { ...owner, name }
  }
  return host
}

test('one account has one counter and one subject however its name is typed', async () => {
  const host = looseDirectory()
  const s = new ropc.Server(config(), { accounts: host })
  for (const who of ['ALICE', 'Alice ', ' aLiCe']) {
    await assert.rejects(s.passwordGrant(...APP, who, 'guess'), { code: 'invalid_grant' })
  }
  for (const who of ['alice', 'ALICE', '  Alice', 'ａｌｉｃｅ']) {
    await assert.rejects(s.passwordGrant(...APP, who, 'alice-pw'), { code: 'invalid_grant' })
  }
  assert.equal(host.verifies, 3, 'locked under every spelling; the host is not asked again')
})

test('the name a host reports is the subject of the tokens', async () => {
  const s = new ropc.Server(config(), { accounts: looseDirectory() })
  const tokens = []
  for (const who of [' ALICE', 'Alice', 'alice ']) tokens.push(await s.passwordGrant(...APP, who, 'alice-pw'))
  for (const t of tokens) assert.equal((await s.check(t.accessToken, 'GET /docs/1')).username, 'alice')
  assert.equal(await s.revokeUserTokens('alice'), true)
  for (const t of tokens) await assert.rejects(s.check(t.accessToken, 'GET /docs/1'), { code: 'invalid_token' })
  const bad = new ropc.Server(config(), { accounts: { verify: () => ({ groups: ['staff'], name: 7 }), lookup: () => null } })
  await assert.rejects(bad.passwordGrant(...APP, 'x', 'y'), { code: 'server_error' })
})

test('a configured user is found under any spelling; an argon2 hash beyond the limits is refused', async () => {
  const phc = await ropc.hashPassword('pw', { mCost: 64, tCost: 1, pCost: 1 })
  const c = { ...config(), accounts: undefined, users: [{ username: 'alice', password_hash: phc, groups: ['staff'] }] }
  const s = new ropc.Server(c)
  const t = await s.passwordGrant(...APP, ' ALICE ', 'pw')
  assert.equal((await s.check(t.accessToken, 'GET /docs/1')).username, 'alice')
  assert.throws(() => new ropc.Server({ ...c, users: [...c.users, { username: 'Alice', password_hash: phc }] }), /one name spelt two ways/)
  const huge = '$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$2pKZ5p2UZlXDHJ2xkq9hYnCixr9+bMVlZH2Ia7qpPfo'
  await assert.rejects(async () => s.setUserPasswordHash('alice', huge), /beyond the limits/)
})

test('logins waiting on a hung directory hold none of libuv\'s four threads', async () => {
  // Four logins whose verify hangs until released, more than libuv's pool
  // can hold at once with a fifth: the fifth, for another user, is answered
  // while they still hang.
  const host = directory()
  let release
  const hung = new Promise((r) => (release = r))
  const strict = host.verify
  host.verify = async (username, password) => (username.startsWith('hung') ? hung.then(() => false) : strict(username, password))
  const s = new ropc.Server(config({ callback_timeout_ms: 60000 }), { accounts: host })
  const waiting = Array.from({ length: 6 }, (_, i) => s.passwordGrant(...APP, `hung${i}`, 'x').catch((e) => e.code))
  const t = await s.passwordGrant(...APP, 'alice', 'alice-pw')
  assert.ok(t.accessToken, 'answered while six logins wait on the directory')
  // And work on the libuv pool is not held up by them either.
  assert.ok(await ropc.hashPassword('x', { mCost: 64, tCost: 1, pCost: 1 }))
  release()
  assert.deepEqual(await Promise.all(waiting), Array(6).fill('invalid_grant'))
  // Pacing (min_verify_ms) is part of the same call, on the same ropc
  // thread: what keeps a hung verify off libuv keeps the pacing off it too.
  // Not shown by a race against a clock, which a busy machine could lose.
})
