// The grant, from the installed npm tarballs, in strict TypeScript
// (tests/dist/check.sh compiles it with tsc, then runs it).
import ropc = require('ropc')

async function main(): Promise<void> {
  const phc: string = await ropc.hashPassword('alice-pw', { mCost: 64, tCost: 1, pCost: 1 })
  const server = new ropc.Server({
    password_hashing: { m_cost: 64, t_cost: 1, p_cost: 1 },
    allow_weak_password_hashing: true,
    scopes: [{ name: 'read', resources: ['GET /docs/*'] }],
    clients: [{ id: 'app', secret_hash: 'sha256:6c904c5190e8b45c2f0af062eefdb2f5b41ce3809b0e6b5bc50aafdd60b290d8', grant_types: ['password'], scopes: ['read'] }],
    users: [{ username: 'alice', password_hash: phc }],
    rules: [{ resources: ['GET /docs/*'], users: ['*'] }],
  })
  const tokens: ropc.TokenResponse = await server.passwordGrant('app', 'app-secret', 'alice', 'alice-pw', 'read')
  const who: ropc.Principal = await server.check(tokens.accessToken, 'GET /docs/1', 'read')
  if (who.username !== 'alice') throw new Error(`checked as ${who.username}`)
  let refused = false
  try {
    await server.passwordGrant('app', 'app-secret', 'alice', 'wrong', 'read')
  } catch (e) {
    refused = e instanceof ropc.OAuthError && e.code === 'invalid_grant'
  }
  if (!refused) throw new Error('a wrong password was let in')
  console.log(`Node (npm tarballs, TypeScript): ropc ${ropc.version}: grant and check ok`)
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
