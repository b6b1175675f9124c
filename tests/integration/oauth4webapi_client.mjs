// oauth4webapi (its DPoP support) against an example authorization server
// and the example resource servers (test_examples.py runs it): a
// DPoP-bound token with the password grant, refreshed with the same key;
// both let in at every resource server with the key's proofs; the token as
// Bearer, or with another key's proofs, refused.
//   node oauth4webapi_client.mjs <authorization server URL> <resource server URL>...
// ROPC_NODE_PKG: bindings/node, whose devDependencies hold oauth4webapi.
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const [asUrl, ...rsUrls] = process.argv.slice(2)
const require = createRequire(path.join(process.env.ROPC_NODE_PKG, 'package.json'))
const oauth = await import(pathToFileURL(require.resolve('oauth4webapi')).href)

const fail = (why) => {
  console.error(why)
  process.exit(1)
}
const insecure = { [oauth.allowInsecureRequests]: true }
const as = { issuer: asUrl, token_endpoint: `${asUrl}/token` }
const client = { client_id: 'bound' }
const auth = oauth.ClientSecretBasic('app-secret')
const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'))
const thief = oauth.DPoP(client, await oauth.generateKeyPair('ES256'))

const grant = await oauth.processGenericTokenEndpointResponse(as, client,
  await oauth.genericTokenEndpointRequest(as, client, auth, 'password',
    { username: 'alice', password: 'alice-pw', scope: 'read' }, { DPoP, ...insecure }))
if (grant.token_type !== 'dpop') fail(`token_type ${grant.token_type}`)
const refreshed = await oauth.processRefreshTokenResponse(as, client,
  await oauth.refreshTokenGrantRequest(as, client, auth, grant.refresh_token, { DPoP, ...insecure }))
if (refreshed.token_type !== 'dpop' || refreshed.access_token === grant.access_token) fail('refresh')

for (const rs of rsUrls) {
  const url = new URL(`${rs}/docs/report`)
  for (const token of [grant.access_token, refreshed.access_token]) {
    const r = await oauth.protectedResourceRequest(token, 'GET', url, undefined, undefined, { DPoP, ...insecure })
    const body = await r.json()
    if (r.status !== 200 || body.user !== 'alice') fail(`${rs}: ${r.status} ${JSON.stringify(body)}`)
  }
  const bearer = await fetch(url, { headers: { Authorization: `Bearer ${refreshed.access_token}` } })
  if (bearer.status !== 401) fail(`${rs}: as Bearer, ${bearer.status}`)
  const stolen = await oauth.protectedResourceRequest(refreshed.access_token, 'GET', url, undefined, undefined,
    { DPoP: thief, ...insecure }).then((r) => `answered ${r.status}`, (e) => e)
  if (!(stolen instanceof oauth.WWWAuthenticateChallengeError) || stolen.cause[0].scheme !== 'dpop' ||
      stolen.cause[0].parameters.error !== 'invalid_dpop_proof') fail(`${rs}: another key's proof: ${stolen}`)
}
console.log('ok')
