'use strict'
// The introspection client against tests/vectors/introspection_client.json:
// the options by the names the vectors give, and what a resource request
// gets for each answer of a stub authorization server. Python's suite runs
// the same file (bindings/python/tests/test_introspection_vectors.py).
const test = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const path = require('node:path')
const ropc = require('..')

const VECTORS = require(path.join(__dirname, '..', '..', '..', 'tests', 'vectors', 'introspection_client.json'))

/** An authorization server answering every POST with one status and body. */
async function stub(status, body) {
  const s = { asked: 0 }
  s.server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      s.asked++
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body))
    })
  })
  await new Promise((r) => s.server.listen(0, '127.0.0.1', r))
  s.url = `http://127.0.0.1:${s.server.address().port}/introspect`
  return s
}

test('the options are the vectors\' names', () => {
  const guard = new ropc.ResourceGuard(VECTORS.config)
  const given = Object.fromEntries(VECTORS.options.filter((o) => o.default !== null).map((o) => [o.node, o.default]))
  const checker = new ropc.IntrospectionChecker(guard, 'http://127.0.0.1:1/introspect', 'rs', 'rs-secret', {
    ...given,
    clock: () => 0,
    log: () => {},
  })
  assert.deepEqual([checker.timeoutMs, checker.cacheSeconds], [given.timeoutMs, given.cacheSeconds])
  assert.throws(() => new ropc.IntrospectionChecker(guard, 'http://127.0.0.1:1/introspect', 'rs', 'rs-secret', { poolSize: -1 }), RangeError)
})

for (const c of VECTORS.cases) {
  test(`vector: ${c.name}`, async () => {
    const as = await stub(c.as_status, c.as_body)
    const logged = []
    try {
      const checker = new ropc.IntrospectionChecker(new ropc.ResourceGuard(VECTORS.config), as.url, 'rs', 'rs-secret', {
        log: (m) => logged.push(m),
      })
      const e = c.expect
      if ('principal' in e) {
        assert.equal((await checker.checkRequest(c.authorization, c.resource)).username, e.principal)
      } else {
        const err = await checker.checkRequest(c.authorization, c.resource).then(
          () => assert.fail('accepted'),
          (x) => x,
        )
        assert.ok(err instanceof ropc.OAuthError, String(err))
        assert.deepEqual([err.status, err.code, err.header('Retry-After')], [e.status, e.error, e.retry_after])
      }
      if ('logged' in e) {
        assert.equal(logged.length, 1)
        assert.ok(logged[0].includes(e.logged), logged[0])
      } else {
        assert.deepEqual(logged, [])
      }
      if ('asked' in e) assert.equal(as.asked, e.asked)
    } finally {
      await new Promise((r) => as.server.close(r))
    }
  })
}
