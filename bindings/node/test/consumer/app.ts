// A CommonJS TypeScript app as a user writes it from the README; `make
// test-node` compiles it (strict, no skipLibCheck) against the installed
// package. Not run: its job is to type-check.
import express = require('express')
import ropc = require('ropc')

const server: ropc.Server = new ropc.Server('{}')
const app = express()
app.use(express.json())
app.use(ropc.tokenHandler(server))
app.get('/invoices/:id', ropc.protect(server, { scope: 'read' }), (req, res) => {
  const who: string = req.principal!.username
  const scopes: string[] = req.principal?.scopes ?? []
  // @ts-expect-error req.principal is typed: it has no such field
  void req.principal?.nosuch
  res.json({ who, scopes, id: req.params.id })
})
const checker: ropc.IntrospectionChecker = new ropc.IntrospectionChecker(
  new ropc.ResourceGuard('{}'),
  'http://127.0.0.1:9000/introspect',
  'rs',
  'secret',
)
app.use('/api', ropc.protect(checker))

export async function main(): Promise<void> {
  const tokens: ropc.TokenResponse = await server.passwordGrant('app', 'secret', 'alice', 'pw', 'read')
  const who: ropc.Principal = await server.check(tokens.accessToken, 'GET /x', null)
  console.log(who.username)
  try {
    await server.check('x', 'GET /x')
  } catch (e) {
    if (e instanceof ropc.OAuthError) {
      const status: number = e.status
      console.log(e.code, status)
    }
  }
  const hash: string = await ropc.hashPassword('pw')
  console.log(hash.length, ropc.version)
}
