'use strict'
// `npx ropc ...` as an operator runs it (cli.js, as the package's bin).
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const ropc = require('..')

const cli = path.join(__dirname, '..', 'cli.js')
const run = (args, input = '') => spawnSync(process.execPath, [cli, ...args], { input, encoding: 'utf8', timeout: 120000 })

const config = (userHash, secretHash) => ({
  password_hashing: { m_cost: 64, t_cost: 1, p_cost: 1 },
  allow_weak_password_hashing: true,
  scopes: [{ name: 'read', resources: ['GET /docs/*'] }],
  clients: [{ id: 'app', secret_hash: secretHash, grant_types: ['password'], scopes: ['read'] }],
  users: [{ username: 'alice', password_hash: userHash }],
  rules: [{ resources: ['GET /docs/*'], users: ['alice'] }],
})

test('hash-password and generate-secret make what a server accepts', async () => {
  let out = run(['hash-password', '--m-cost', '64', '--t-cost', '1'], 'pässword 1\n')
  assert.equal(out.status, 0, out.stderr)
  const phc = out.stdout.trim()
  assert.match(phc, /^\$argon2id\$v=19\$m=64,t=1,p=1\$/)
  assert.match(out.stderr, /below OWASP's minimums/)
  out = run(['generate-secret'])
  assert.equal(out.status, 0)
  const made = JSON.parse(out.stdout)
  const server = new ropc.Server(JSON.stringify(config(phc, made.secret_hash)))
  const tokens = await server.passwordGrant('app', made.secret, 'alice', 'pässword 1', 'read')
  assert.ok(tokens.accessToken)
})

test('refusals and wrong usage have their exit status', () => {
  const empty = run(['hash-password'], '\n')
  assert.equal(empty.status, 1)
  assert.match(empty.stderr, /empty/)
  assert.equal(run(['hash-password', 'hunter2']).status, 2)
  const wrong = run(['frobnicate'])
  assert.equal(wrong.status, 2)
  assert.match(wrong.stderr, /ropc check-config FILE/)
  assert.match(wrong.stderr, /ropc build/, 'the usage after a wrong command names every command')
  const help = run(['--help'])
  assert.equal(help.status, 0)
  assert.match(help.stdout, /ropc build/)
})

test('check-config says ok, or what is wrong and where', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ropc-cli-'))
  const file = path.join(dir, 'ropc.json')
  const secretHash = ropc.generateClientSecret().hash
  const doc = config(ropc.hashPasswordSync('pw', { mCost: 64, tCost: 1, pCost: 1 }), secretHash)
  fs.writeFileSync(file, JSON.stringify(doc))
  let out = run(['check-config', file])
  assert.equal(out.status, 0, out.stderr)
  assert.equal(out.stdout, `${file}: ok: 1 scopes, 1 clients (1 with the password grant), 1 users, 1 rules, store: memory\n`)
  doc.rules[0].users = ['alcie']
  fs.writeFileSync(file, JSON.stringify(doc))
  out = run(['check-config', file])
  assert.equal(out.status, 1)
  assert.equal(out.stderr, `ropc: invalid configuration in ${file} at rules[0].users[0]: no configured user is named "alcie"\n`)
  assert.equal(run(['check-config', path.join(dir, 'missing.json')]).status, 1)
  fs.rmSync(dir, { recursive: true })
})
