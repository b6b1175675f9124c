'use strict'
// The event loop runs while passwords are verified: argon2 runs on the
// libuv pool. Not a comparison of speeds, which a busy machine skews: a
// property a blocked loop makes impossible. While an async call is pending,
// the loop turns; a call that ran on the loop would already be settled by
// the first turn, since it could only return after its work was done.
const test = require('node:test')
const assert = require('node:assert/strict')
const ropc = require('..')

// argon2id at t_cost 40: a few hundred milliseconds a call, on any machine.
const SLOW = { mCost: 19456, tCost: 40, pCost: 1 }

/** Turns of the event loop taken while `promise` was still pending. */
async function turnsWhilePending(promise) {
  let settled = false
  const done = promise.finally(() => { settled = true })
  let turns = 0
  while (!settled && turns < 3) {
    await new Promise((r) => setImmediate(r))
    if (!settled) turns++
  }
  await done
  return turns
}

function slowServer(phc) {
  return new ropc.Server({
    password_hashing: { m_cost: SLOW.mCost, t_cost: SLOW.tCost, p_cost: SLOW.pCost },
    scopes: [{ name: 'read' }],
    clients: [{ id: 'app', secret_hash: ropc.hashClientSecret('s'), grant_types: ['password'], scopes: ['read'], default_scopes: ['read'] }],
    users: [{ username: 'u', password_hash: phc }],
  })
}

test('the loop turns while a password is hashed', async () => {
  assert.equal(await turnsWhilePending(ropc.hashPassword('pw', SLOW)), 3)
})

test('the loop turns while a password grant verifies, right or wrong', async () => {
  const server = slowServer(await ropc.hashPassword('pw', SLOW))
  assert.equal(await turnsWhilePending(server.passwordGrant('app', 's', 'u', 'pw')), 3)
  assert.equal(await turnsWhilePending(server.passwordGrant('app', 's', 'u', 'wrong').catch((e) => assert.equal(e.code, 'invalid_grant'))), 3)
  const resp = server.tokenEndpoint('POST', { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic YXBwOnM=' }, 'grant_type=password&username=u&password=pw')
  assert.equal(await turnsWhilePending(resp), 3)
  assert.equal((await resp).status, 200)
})

test('what cannot block is answered in place, not queued behind the pool', async () => {
  const path = require('node:path')
  const { config } = require(path.join(__dirname, '..', '..', '..', 'tests', 'vectors', 'flows.json'))
  const server = new ropc.Server(config)
  const t = await server.passwordGrant('app', 'app-secret', 'alice', 'alice-pw')
  // Every libuv thread busy hashing for a few hundred milliseconds.
  const busy = Array.from({ length: Number(process.env.UV_THREADPOOL_SIZE || 4) }, () => ropc.hashPassword('pw', SLOW))
  let settled = 0
  for (const p of busy) p.then(() => settled++)
  const basic = `Basic ${Buffer.from('app:app-secret').toString('base64')}`
  const resp = await server.tokenEndpoint('POST', { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
    `grant_type=refresh_token&refresh_token=${t.refreshToken}`)
  assert.equal(resp.status, 200)
  assert.equal(settled, 0, 'a refresh sent to the pool would have waited for a hash to finish')
  await Promise.all(busy)
})
