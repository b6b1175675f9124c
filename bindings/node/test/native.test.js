'use strict'
// The native boundary is typed in native-api.js: the addon exports exactly
// the functions and methods declared there, no more and no fewer.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const native = require('../native.js')

/** The `@property` names of the typedef `name` in native-api.js. */
function declared(name) {
  const text = fs.readFileSync(path.join(__dirname, '..', 'native-api.js'), 'utf8')
  const start = text.indexOf(` * @typedef {object} ${name}\n`)
  assert.ok(start >= 0, `no typedef ${name}`)
  const block = text.slice(start, text.indexOf('*/', start))
  return [...block.matchAll(/@property \{.*?\} \[?(\w+)\]?/g)].map((m) => m[1]).sort()
}

const methods = (o) => Object.getOwnPropertyNames(Object.getPrototypeOf(o)).filter((n) => n !== 'constructor').sort()
const config = JSON.stringify(require(path.join(__dirname, '..', '..', '..', 'tests', 'vectors', 'flows.json')).config)

test('the addon exports what native-api.js declares', () => {
  const classes = ['NativeGuard', 'NativeKeySet', 'NativeKeySetCache', 'NativeServer']
  const functions = Object.keys(native).filter((k) => !classes.includes(k)).sort()
  // The test-only hooks are declared optional: this build may have them (npm test) or not.
  const hooks = ['panicInTaskForTests', 'panicSyncForTests', 'setTestClockForTests', 'advanceTestClockForTests']
  assert.deepEqual(functions.filter((f) => !hooks.includes(f)), declared('Native').filter((f) => !hooks.includes(f)))
  assert.deepEqual(methods(native.createServer(config, null, true)), declared('NativeServer'))
  assert.deepEqual(methods(native.createGuard(config)), declared('NativeGuard'))
  assert.deepEqual(methods(native.createKeySet('{"keys": []}')), declared('NativeKeySet'))
  assert.deepEqual(methods(native.createKeySetCache(600, 30)), declared('NativeKeySetCache'))
})

test('the core classifies calls; the server schedules them by it', async () => {
  const ropc = require('..')
  const s = new ropc.Server(config)
  const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic YXBwOmFwcC1zZWNyZXQ=' }
  assert.equal(s.requestBlocking('POST', form, 'grant_type=password&username=a&password=b'), 'cpu')
  assert.equal(s.requestBlocking('POST', form, 'grant_type=refresh_token&refresh_token=x'), 'inline')
  assert.throws(() => s.callBlocking('authorize'), /not a call/)
  assert.throws(() => s.callBlocking('as_client'), /not a call/)
  // An inline call is answered in place: the native side returns its value, not a Promise.
  const n = native.createServer(config, null, true)
  const answer = n.answer('introspection', 'POST', form['content-type'], form.authorization, Buffer.from('token=x'), null, null, null)
  assert.equal(typeof answer, 'string')
  const pending = n.passwordGrant('app', 'app-secret', 'alice', 'alice-pw', null)
  assert.ok(pending instanceof Promise, 'argon2 goes to the pool')
  assert.throws(() => n.answer('authorize', 'POST', null, null, Buffer.alloc(0), null, null, null), /not an endpoint/)
  assert.equal((await pending).tokenType, 'Bearer')
})
