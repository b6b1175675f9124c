// The same from an ES module: a default import and named ones.
import express from 'express'
import ropc from 'ropc'
import { Server, protect, tokenHandler, OAuthError, type Principal } from 'ropc'

const server: Server = new ropc.Server('{}')
const app = express()
app.use(tokenHandler(server))
app.get('/x', protect(server), (req, res) => {
  const p: Principal | undefined = req.principal
  res.send(p?.username)
})
export function isRefusal(e: unknown): boolean {
  return e instanceof OAuthError && e.code === 'invalid_token'
}
