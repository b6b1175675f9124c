'use strict'
// The event loop stays responsive while passwords are verified: argon2 runs
// on the libuv pool. A comparison with the blocking variant on the same
// machine, with a wide margin; not a speed benchmark.
const test = require('node:test')
const assert = require('node:assert/strict')
const ropc = require('..')

const OWASP = { mCost: 19456, tCost: 2, pCost: 1 } // ~14 ms a verification

async function maxTimerGap(work) {
  let last = performance.now()
  let worst = 0
  const timer = setInterval(() => {
    const now = performance.now()
    worst = Math.max(worst, now - last)
    last = now
  }, 2)
  await new Promise((r) => setTimeout(r, 20))
  last = performance.now()
  try {
    await work()
    await new Promise((r) => setTimeout(r, 10)) // let the timer see the last gap
  } finally {
    clearInterval(timer)
  }
  return worst
}

test('a timer keeps firing while a batch of passwords is verified', async () => {
  const phc = ropc.hashPasswordSync('pw', OWASP)
  const server = new ropc.Server({
    password_hashing: { m_cost: OWASP.mCost, t_cost: OWASP.tCost, p_cost: OWASP.pCost },
    throttle: { max_failures: 100000, lockout_seconds: 1, forget_after_seconds: 1 },
    scopes: [{ name: 'read' }],
    clients: [{ id: 'app', secret_hash: ropc.hashClientSecret('s'), grant_types: ['password'], scopes: ['read'], default_scopes: ['read'] }],
    users: [{ username: 'u', password_hash: phc }],
  })
  const n = 12
  const blockedGap = await maxTimerGap(async () => {
    for (let i = 0; i < n; i++) {
      try {
        server.passwordGrantSync('app', 's', 'u', i % 2 ? 'pw' : 'wrong')
      } catch (e) {
        assert.equal(e.code, 'invalid_grant') // the wrong half of the batch
      }
    }
  })
  const asyncGap = await maxTimerGap(() =>
    Promise.allSettled(Array.from({ length: n }, (_, i) => server.passwordGrant('app', 's', 'u', i % 2 ? 'pw' : 'wrong'))),
  )
  // Blocking: the timer waits for the whole batch (~n x 14 ms). On the pool
  // it keeps its 2 ms rhythm, give or take scheduling noise.
  assert.ok(blockedGap > 100, `the sync batch should block the loop (gap ${blockedGap.toFixed(1)} ms)`)
  assert.ok(asyncGap < blockedGap / 4, `timer gap ${asyncGap.toFixed(1)} ms during async verification vs ${blockedGap.toFixed(1)} ms blocked`)
})
