'use strict'
// A client no one here wrote: simple-oauth2's ResourceOwnerPassword against
// the example servers, over real HTTP on loopback.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const path = require('node:path')
const readline = require('node:readline')
const { ResourceOwnerPassword } = require('simple-oauth2')

const ROOT = path.join(__dirname, '..', '..', '..')
const CONFIG = path.join(ROOT, 'examples', 'config', 'ropc.json')
const BILLING = { id: 'billing-app', secret: 'demo-billing-secret-do-not-use-in-production' }

function start(script, args, env = {}) {
  const child = spawn(process.execPath, [path.join(ROOT, 'examples', 'node', script), '--config', CONFIG, '--port', '0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once('line', (line) => {
      if (line.includes('listening on')) resolve({ child, url: line.split(' ').pop() })
      else reject(new Error(`${script}: ${line}`))
    })
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)))
  })
}

test('simple-oauth2 password flow: token, resource, refresh, revoke', async (t) => {
  const auth = await start('auth_server.js', [])
  const api = await start('resource_server.js', ['--introspect', `${auth.url}/introspect`, '--client-id', 'invoice-api'], {
    ROPC_CLIENT_SECRET: 'demo-invoice-api-secret-do-not-use-in-production',
  })
  t.after(() => {
    auth.child.kill()
    api.child.kill()
  })
  const client = new ResourceOwnerPassword({
    client: BILLING,
    auth: { tokenHost: auth.url, tokenPath: '/token', revokePath: '/revoke' },
    options: { authorizationMethod: 'header', credentialsEncodingMode: 'strict' },
  })
  let token = await client.getToken({ username: 'alice', password: 'correct horse', scope: 'read' })
  assert.equal(token.token.token_type, 'Bearer')
  assert.equal(token.token.scope, 'read')
  const get = (p) => fetch(`${api.url}${p}`, { headers: { Authorization: `Bearer ${token.token.access_token}` } })

  let r = await get('/invoices/42')
  assert.equal(r.status, 200)
  assert.equal((await r.json()).user, 'alice')
  r = await get('/users/bob/profile')
  assert.equal(r.status, 403)
  assert.equal((await r.json()).error, 'access_denied')

  const before = token.token.refresh_token
  token = await token.refresh()
  assert.notEqual(token.token.refresh_token, before)
  assert.equal((await get('/invoices/42')).status, 200)

  await token.revoke('refresh_token')
  r = await get('/invoices/42')
  assert.equal(r.status, 401)
  assert.match(r.headers.get('www-authenticate'), /error="invalid_token"/)
  await assert.rejects(token.refresh(), (e) => e.data?.payload?.error === 'invalid_grant')
  await assert.rejects(client.getToken({ username: 'alice', password: 'wrong' }), (e) => e.data?.payload?.error === 'invalid_grant')
})
