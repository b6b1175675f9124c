'use strict'
// The stores from Node: two servers on one SQLite file share tokens, and a
// call that waits on the database leaves the event loop running (PostgreSQL
// from ROPC_TEST_POSTGRES_URL, which `make test-node` starts).
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn, execFileSync } = require('node:child_process')
const crypto = require('node:crypto')
const path = require('node:path')
const ropc = require('..')

const config = require(path.join(__dirname, '..', '..', '..', 'tests', 'vectors', 'flows.json')).config
const APP = ['app', 'app-secret']

function postgresDatabase() {
  const base = process.env.ROPC_TEST_POSTGRES_URL
  const psql = process.env.ROPC_TEST_PSQL
  assert.ok(base && psql, 'ROPC_TEST_POSTGRES_URL is not set: run `make test-node`, which starts a PostgreSQL')
  const name = `ropc_node_${crypto.randomBytes(6).toString('hex')}`
  execFileSync(psql, ['-X', '-q', base, '-c', `CREATE DATABASE ${name}`])
  return base.replace(/\/[^/]*$/, `/${name}`)
}

/** A psql session holding `LOCK TABLE ropc_tokens` until release() is called. */
async function lockTokens(url) {
  const psql = spawn(process.env.ROPC_TEST_PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', url], { stdio: ['pipe', 'pipe', 'inherit'] })
  psql.stdin.write('BEGIN;\nLOCK TABLE ropc_tokens IN ACCESS EXCLUSIVE MODE;\n\\echo locked\n')
  await new Promise((resolve, reject) => {
    psql.stdout.on('data', (d) => String(d).includes('locked') && resolve())
    psql.on('exit', () => reject(new Error('psql exited before locking')))
  })
  return {
    release: () => new Promise((resolve) => {
      psql.removeAllListeners('exit')
      psql.on('exit', resolve)
      psql.stdin.end('COMMIT;\n\\q\n')
    }),
  }
}

test('the event loop runs while a check waits on the database', async () => {
  const url = postgresDatabase()
  const s = new ropc.Server({ ...config, store: { type: 'postgres', url, statement_timeout_ms: 20000 } })
  assert.equal(s.callBlocking('store'), 'waits')
  const t = await s.passwordGrant(...APP, 'alice', 'alice-pw', 'read')
  const lock = await lockTokens(url)
  let settled = false
  const pending = s.check(t.accessToken, 'GET /invoices/1').finally(() => { settled = true })
  let ticks = 0
  while (ticks < 50) {
    await new Promise((r) => setImmediate(r))
    ticks++
  }
  const pendingWhileTicking = !settled
  await lock.release()
  const principal = await pending
  assert.ok(pendingWhileTicking, 'the check finished before the loop could run: it ran on the event loop')
  assert.equal(principal.username, 'alice', 'and it completed once the lock was gone')
})

test('the event loop runs while a revocation waits on the database', async () => {
  const url = postgresDatabase()
  const s = new ropc.Server({ ...config, store: { type: 'postgres', url, statement_timeout_ms: 20000 } })
  const t = await s.passwordGrant(...APP, 'alice', 'alice-pw', 'read')
  const lock = await lockTokens(url)
  let settled = false
  const pending = s.revoke(...APP, t.accessToken).finally(() => { settled = true })
  for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r))
  const pendingWhileTicking = !settled
  await lock.release()
  await pending
  assert.ok(pendingWhileTicking, 'the revocation ran on the event loop')
  await assert.rejects(s.check(t.accessToken, 'GET /invoices/1'), { code: 'invalid_token' })
})
