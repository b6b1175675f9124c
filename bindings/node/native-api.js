'use strict'
// The native addon's exports (src/lib.rs, src/callbacks.rs) as the JS layer
// calls them: the boundary, typed. Strings packed for speed are named for
// what they hold and unpacked in one place each. test/native.test.js checks
// that the addon exports exactly the names declared here. Types only.

/** A packed HTTP response: status, header count, each header's name and value, each followed by a NUL, then the body (`toResponse` in errors.js). @typedef {string & {readonly __packed: 'response'}} PackedResponse */
/** A packed principal: username, client id, scopes (space-separated), groups (U+0001-separated), each followed by a NUL, then `expires_at` (`principalOf` in args.js). @typedef {string & {readonly __packed: 'principal'}} PackedPrincipal */
/** A value now when the core classified the call inline, else a Promise of it from the pool its class belongs on. @template T @typedef {T | Promise<T>} Answer */
/** Where a call may run, as the core classifies it. @typedef {'inline' | 'cpu' | 'waits'} Blocking */
/** @typedef {string | null} Opt */
/** @typedef {{accessToken: string, tokenType: string, expiresIn: number, refreshToken?: string | null, scope: string}} NativeTokens */
/** @typedef {{contentType: string, authorization: string, body: string}} NativeIntrospectionRequest */
/**
 * @typedef {{path: string, message: string, text: string, textWithoutPosition: string,
 *   line?: number | null, column?: number | null, file?: string | null}} ConfigFailure
 */
/** @typedef {{verifyCalls: number, lookupCalls: number, paced: number, failures: number, paceTargetUs: number}} NativeAccountsStats */
/** (method, content type, authorization, body, DPoP proof, remote address, request id) @typedef {[method: string, contentType: Opt, authorization: Opt, body: Buffer, dpop: Opt, remoteAddr: Opt, requestId: Opt]} EndpointArgs */

/**
 * @typedef {object} NativeServer
 * @property {string} realm
 * @property {(endpoint: 'token' | 'introspection' | 'revocation', ...args: EndpointArgs) => Answer<PackedResponse>} answer
 * @property {(clientId: string, clientSecret: Opt, username: string, password: string, scope: Opt) => Answer<NativeTokens>} passwordGrant
 * @property {(clientId: string, clientSecret: Opt, refreshToken: string, scope: Opt) => Answer<NativeTokens>} refreshGrant
 * @property {(clientId: string, clientSecret: Opt, token: string, tokenTypeHint: Opt) => Answer<string>} introspect introspection JSON
 * @property {(clientId: string, clientSecret: Opt, token: string, tokenTypeHint: Opt) => Answer<void>} revoke
 * @property {(accessToken: string, resource: string, scope: Opt) => Answer<PackedPrincipal>} check
 * @property {(authorization: Opt, resource: string, scope: Opt) => Answer<PackedPrincipal>} checkRequest
 * @property {(authorization: Opt, dpop: Opt, method: string, uri: string, resource: string, scope: Opt) => Answer<PackedPrincipal>} checkWithProof
 * @property {(password: string) => Answer<string>} hashPassword a PHC string
 * @property {(username: string, passwordHash: string) => Answer<string>} setUserPasswordHash
 * @property {(username: string, enabled: boolean) => Answer<string>} setUserEnabled
 * @property {(username: string) => Answer<'true' | 'false'>} revokeUserTokens
 * @property {() => Answer<string>} purgeExpired a count, in decimal
 * @property {() => Answer<string>} metrics Prometheus text
 * @property {(method: string, contentType: Opt, authorization: Opt, body: Buffer) => Blocking} requestBlocking
 * @property {(call: string, clientId: Opt) => Blocking} callBlocking
 * @property {(json: string) => Promise<void>} reload
 * @property {(path: string) => Promise<void>} reloadFile
 * @property {(username: string) => void} forgetOwner
 * @property {() => NativeAccountsStats} accountsStats
 * @property {(code: string, description: string) => PackedResponse} errorResponse
 * @property {() => string} configJson
 * @property {(method: string) => Answer<PackedResponse>} keySetEndpoint
 * @property {(method: string) => PackedResponse} metadataEndpoint
 * @property {(method: string, target: string, pairs: string[]) => Answer<PackedResponse>} forwardAuth
 */

/**
 * @typedef {object} NativeGuard
 * @property {string} realm
 * @property {(json: string) => void} reload
 * @property {(path: string) => void} reloadFile
 * @property {(token: string, clientId: string, clientSecret: string) => NativeIntrospectionRequest} introspectionRequest
 * @property {(authorization: Opt) => string} bearerToken
 * @property {(introspectionJson: string, now: number, maxSeconds: number) => number | null} cacheUntil
 * @property {() => never} unavailable always throws: the refusal for an unreachable authorization server
 * @property {(introspectionJson: string, resource: string, scope: Opt) => PackedPrincipal} checkIntrospection
 * @property {(authorization: Opt, keys: NativeKeySet, resource: string, scope: Opt) => PackedPrincipal} checkJwtRequest
 * @property {(authorization: Opt) => string | null} dpopToken
 * @property {(introspection: string, token: string, dpop: Opt, method: string, uri: string, resource: string, scope: Opt) => PackedPrincipal} checkIntrospectionWithProof
 * @property {(token: string, keys: NativeKeySet, dpop: Opt, method: string, uri: string, resource: string, scope: Opt) => PackedPrincipal} checkJwtWithProof
 */

/**
 * @typedef {object} NativeKeySet
 * @property {string[]} kids
 */

/**
 * @typedef {object} NativeKeySetCache
 * @property {(token: string, now: number, mayFetch: boolean) => [what: 'not_jwt' | 'use' | 'fetch' | 'unavailable', keys: NativeKeySet | null]} plan
 * @property {(status: number, body: Buffer, cacheControl: string | null, now: number) => string | null} fetched null when the set was replaced, else why not
 * @property {number} fetches
 */

/** The one function the native side calls for every host callback (callbacks.js). @typedef {(id: number, request: string) => unknown} Dispatch */
/** @typedef {(json: string) => unknown} EventsHandler */

/**
 * @typedef {object} Native
 * @property {(json: string, events: EventsHandler | null, warningsOnly: boolean) => NativeServer} createServer
 * @property {(json: string, dispatch: Dispatch, accounts: boolean, authorize: boolean, events: EventsHandler | null, warningsOnly: boolean) => NativeServer} createServerWithCallbacks
 * @property {(json: string) => NativeGuard} createGuard
 * @property {(json: string) => NativeKeySet} createKeySet
 * @property {(maxAgeSeconds: number, minRefetchSeconds: number) => NativeKeySetCache} createKeySetCache
 * @property {() => string[]} forwardedHeaders
 * @property {(failure: ConfigFailure, file: string) => ConfigFailure} configFailureInFile
 * @property {(method: string, target: string, realm: string) => string} resourceName
 * @property {(id: number, answer: string) => void} settleCallback
 * @property {(dispatch: Dispatch, fixture: string) => Promise<string | null>} checkAccounts runs the accounts conformance suite on `dispatch`
 * @property {(password: string, mCost: number | null | undefined, tCost: number | null | undefined, pCost: number | null | undefined, sync: boolean) => Answer<string>} hashPassword on libuv's pool, or with `sync` on the calling thread (for scripts, never a server's event loop)
 * @property {() => [secret: string, hash: string]} generateClientSecret
 * @property {(secret: string) => string} hashClientSecret
 * @property {(args: string[]) => number} cli
 * @property {() => string} version
 * @property {() => number} maxBodyBytes
 * @property {() => Promise<never>} [panicInTaskForTests] with the `test-hooks` feature only
 * @property {() => number} [panicSyncForTests] with the `test-hooks` feature only
 * @property {(now: number | null) => void} [setTestClockForTests] with the `test-hooks` feature only: servers created from now on use a manual clock at `now`
 * @property {(seconds: number) => boolean} [advanceTestClockForTests] with the `test-hooks` feature only
 */

module.exports = {}
