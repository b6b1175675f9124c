'use strict'
// Forward-auth from Node: tokenHandler answers a gateway's /auth with the
// core's check on the request the gateway holds.
const test = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const path = require('node:path')
const ropc = require('..')

const config = require(path.join(__dirname, '..', '..', '..', 'tests', 'vectors', 'flows.json')).config

test('a gateway asks /auth and gets who is calling, or the refusal to pass back', async () => {
  const server = new ropc.Server(config)
  const handler = ropc.tokenHandler(server)
  const httpd = http.createServer((req, res) => handler(req, res))
  await new Promise((r) => httpd.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${/** @type {any} */ (httpd.address()).port}/auth`
  const ask = (method, uri, token) =>
    fetch(url, { headers: { 'X-Forwarded-Method': method, 'X-Forwarded-Uri': uri, ...(token ? { Authorization: `Bearer ${token}` } : {}) } })
  try {
    const t = await server.passwordGrant('app', 'app-secret', 'alice', 'alice-pw', 'read')
    const ok = await ask('GET', '/invoices/1?x=1', t.accessToken)
    assert.equal(ok.status, 200)
    assert.deepEqual([ok.headers.get('x-auth-user'), ok.headers.get('x-auth-client'), ok.headers.get('x-auth-scope')], ['alice', 'app', 'read'])
    const scope = await ask('POST', '/invoices/1', t.accessToken)
    assert.equal(scope.status, 403)
    assert.match(scope.headers.get('www-authenticate'), /error="insufficient_scope"/)
    const none = await ask('GET', '/invoices/1')
    assert.equal(none.status, 401)
    assert.doesNotMatch(none.headers.get('www-authenticate'), /error=/)
    // NGINX's names, as its configuration sets them.
    const nginx = await fetch(url, { headers: { 'X-Original-Method': 'GET', 'X-Original-URI': '/invoices/2', Authorization: `Bearer ${t.accessToken}` } })
    assert.equal(nginx.status, 200)
    const blind = await fetch(url, { headers: { Authorization: `Bearer ${t.accessToken}` } })
    assert.equal(blind.status, 400)
    // Envoy's ext_authz: the held request itself, under /auth.
    const envoy = await fetch(`${url}/invoices/3`, { headers: { Authorization: `Bearer ${t.accessToken}` } })
    assert.equal(envoy.status, 200)
    assert.equal(envoy.headers.get('x-auth-user'), 'alice')
    const envoyPost = await fetch(`${url}/invoices/3`, { method: 'POST', headers: { Authorization: `Bearer ${t.accessToken}` } })
    assert.equal(envoyPost.status, 403)
    // The same answer from the typed call.
    const direct = await server.forwardAuth({ 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/invoices/1', authorization: `Bearer ${t.accessToken}` })
    assert.equal(direct.status, 200)
    await assert.rejects(async () => server.forwardAuth('nope'), TypeError)
  } finally {
    httpd.close()
  }
})
