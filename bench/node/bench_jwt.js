'use strict'
// A resource server's offline JWT check from Node (make bench-jwt): ropc's
// guard.checkJwtRequest beside jose's jwtVerify on the same token (signature,
// typ, iss, aud, exp; jose checks no scope or owner rules), nanoseconds per
// call, the median of seven rounds. Usage: node bench_jwt.js CONFIG TOKEN JWKS
const fs = require('node:fs')
const ropc = require('ropc')

const ROUNDS = 7
const CALLS = 20000

/** Median ns per call of `f`; awaited only when it returns a Promise (jose's does; ropc's check is synchronous). */
async function perCall(f) {
  const awaits = f() instanceof Promise
  const rounds = []
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint()
    if (awaits) for (let i = 0; i < CALLS; i++) await f()
    else for (let i = 0; i < CALLS; i++) f()
    rounds.push(Number(process.hrtime.bigint() - start) / CALLS)
  }
  return rounds.sort((a, b) => a - b)[ROUNDS >> 1]
}

async function main() {
  const [config, token, jwks] = process.argv.slice(2, 5).map((p) => fs.readFileSync(p, 'utf8'))
  const { createLocalJWKSet, jwtVerify } = await import('jose')
  const guard = new ropc.ResourceGuard(config)
  const keys = new ropc.KeySet(jwks)
  const local = createLocalJWKSet(JSON.parse(jwks))
  const bearer = `Bearer ${token}`
  const opts = { issuer: 'https://as.example', audience: 'https://api.example', typ: 'at+jwt', algorithms: ['EdDSA'] }
  if (guard.checkJwtRequest(bearer, keys, 'GET /invoices/42', 'read').username !== 'alice') throw new Error('check')
  if ((await jwtVerify(token, local, opts)).payload.sub !== 'alice') throw new Error('jose')
  const ns = {
    check_jwt: await perCall(() => guard.checkJwtRequest(bearer, keys, 'GET /invoices/42', 'read')),
    jose_jwt_verify: await perCall(() => jwtVerify(token, local, opts)),
  }
  console.log(JSON.stringify({ language: 'node', ns }))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
