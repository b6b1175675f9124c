'use strict'
// The shared wire vectors: same status, header list and body bytes as Rust.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const ropc = require('..')

const doc = require(path.join(__dirname, '..', '..', '..', 'tests', 'vectors', 'flows.json'))
const PLACEHOLDER = /\{\{(?:([A-Za-z]+):)?([A-Za-z0-9_]+)\}\}/g
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
// The template language's kinds, as the vectors define them (no runner hard-codes one).
const KINDS = doc.templates.kinds
function kindPattern(kind) {
  const k = KINDS[kind]
  if (!k) throw new Error(`the vectors define no kind ${kind}`)
  return `([${escape(k.chars)}]{${k.min},${k.max ?? ''}})`
}

function substitute(text, env) {
  return text.replace(PLACEHOLDER, (m, kind, name) => (kind ? m : env[name]))
}

// As core/tests/vectors.rs: {{KIND:N}} captures a run of the kind's
// characters (the vectors' templates), {{N}} must equal a capture; a name
// captured twice must match.
function matches(template, actual, env) {
  let pattern = ''
  let pos = 0
  const names = []
  for (const m of template.matchAll(PLACEHOLDER)) {
    pattern += escape(template.slice(pos, m.index))
    const [, kind, name] = m
    pattern += kind ? kindPattern(kind) : `(${escape(env[name])})`
    names.push(name)
    pos = m.index + m[0].length
  }
  pattern += escape(template.slice(pos))
  const found = new RegExp(`^${pattern}$`, 's').exec(actual)
  if (!found) return false
  return names.every((name, i) => (env[name] ??= found[i + 1]) === found[i + 1])
}

function checkResponse(expect, status, headers, body, env) {
  assert.ok(!expect.principal, `expected a principal, got ${status} ${body}`)
  assert.equal(status, expect.status, body.toString())
  assert.deepEqual(headers, expect.headers)
  const template = substitute(expect.body, env)
  assert.ok(matches(template, body.toString('utf8'), env), `${body} !~ ${template}`)
}

async function runStep(server, guard, step, env) {
  const { request: req, expect } = step
  const sub = (key) => (req[key] === null || req[key] === undefined ? null : substitute(req[key], env))
  if (['token', 'introspect', 'revoke'].includes(step.endpoint)) {
    const headers = {}
    if (sub('content_type')) headers['content-type'] = sub('content_type')
    if (sub('authorization')) headers.authorization = sub('authorization')
    if (sub('dpop')) headers.dpop = sub('dpop')
    const fn = { token: 'tokenEndpoint', introspect: 'introspectionEndpoint', revoke: 'revocationEndpoint' }[step.endpoint]
    const resp = await server[fn](req.method, headers, Buffer.from(sub('body') ?? '', 'utf8'))
    checkResponse(expect, resp.status, resp.headers, resp.body, env)
    return
  }
  let principal
  try {
    if (step.endpoint === 'resource') principal = await server.checkRequest(sub('authorization'), sub('resource'), sub('scope'))
    else if (step.endpoint === 'guard_jwt') principal = guard.checkJwtRequest(sub('authorization'), KEYS, sub('resource'), sub('scope'))
    else {
      assert.equal(step.endpoint, 'guard')
      principal = guard.checkIntrospection(req.introspection, sub('resource'), sub('scope'))
    }
  } catch (err) {
    assert.ok(err instanceof ropc.OAuthError, String(err))
    checkResponse(expect, err.status, err.headers, err.body, env)
    assert.equal(err.code, err.body.length ? JSON.parse(err.body).error : null)
    return
  }
  assert.ok(expect.principal, `expected an error, got ${JSON.stringify(principal)}`)
  const { username, clientId: client_id, scopes, groups } = principal
  assert.deepEqual({ username, client_id, scopes, groups }, expect.principal)
}

const KEYS = new ropc.KeySet(doc.jwks)

for (const c of doc.cases) {
  test(`vector: ${c.name}`, async () => {
    const config = c.store ? { ...doc.config, store: c.store } : doc.config
    // The test build's clock for a case whose proofs are made for a time.
    const hooks = require('../native.js')
    if (c.clock) hooks.setTestClockForTests(c.clock)
    let server
    try {
      server = new ropc.Server(config)
    } finally {
      if (c.clock) hooks.setTestClockForTests(null)
    }
    const guard = new ropc.ResourceGuard(config)
    const env = {}
    for (const [i, step] of c.steps.entries()) {
      try {
        await runStep(server, guard, step, env)
      } catch (e) {
        e.message = `step ${i}: ${e.message}`
        throw e
      }
    }
  })
}

test('the vectors were all read, and the matcher can fail', () => {
  assert.ok(doc.cases.length >= 20)
  assert.ok(doc.cases.reduce((n, c) => n + c.steps.length, 0) >= 90)
  const env = {}
  assert.ok(matches('a{{int:n}}b', 'a12b', env) && env.n === '12')
  assert.ok(!matches('a{{int:n}}b', 'a13b', env))
  assert.ok(!matches('x{{token:t}}', 'xshort', env))
})

test('the resource-name rule, from the shared vectors', () => {
  assert.ok(doc.resource_names.length >= 20)
  for (const c of doc.resource_names) {
    if (c.name === null) {
      assert.throws(() => ropc.resourceName(c.method, c.target), (e) => e.code === 'invalid_request' && e.status === 400, `${c.method} ${c.target}`)
    } else {
      assert.equal(ropc.resourceName(c.method, c.target), c.name, `${c.method} ${c.target}`)
    }
  }
})
