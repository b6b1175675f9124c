'use strict'
// The authorization server.
const fs = require('node:fs')
const native = require('./native.js')
const { principalOf, str, optStr, configJson, endpointArgs, forwardedArgs, toTokens } = require('./args.js')
const { dispatcher } = require('./callbacks.js')
const { ConfigError, toResponse, call, settle } = require('./errors.js')
/** @typedef {import('./args.js').TokenResponse} TokenResponse */
/** @typedef {import('./args.js').Principal} Principal */
/** @typedef {import('./args.js').Headers} Headers */
/** @typedef {import('./args.js').Body} Body */
/** @typedef {import('./errors.js').HttpResponse} HttpResponse */
/** Where a call may run, as the core classifies it. @typedef {'inline' | 'cpu' | 'waits'} Blocking */
/** @typedef {import('./callbacks.js').Accounts} Accounts */
/** @typedef {import('./callbacks.js').Authorize} Authorize */
/**
 * An audit event (the keys that apply): what happened, when, to whom; never a password,
 * secret or token.
 * @typedef {{kind: string, time: number, client_id?: string, username?: string, grant_id?: string,
 *   remote_addr?: string, request_id?: string, reason?: string, password_hash?: string}} AuditEvent
 */
/** The request's remote address and id, for its audit events. @typedef {{remoteAddr?: string | null, requestId?: string | null}} RequestContext */

/** @param {RequestContext} context @returns {[string | null, string | null]} */
function contextArgs(context) {
  const c = context ?? {}
  return [optStr(c.remoteAddr ?? null, 'context.remoteAddr'), optStr(c.requestId ?? null, 'context.requestId')]
}

/** An authorization server. Safe to use from many async callers at once. */
class Server {
  /**
   * @param {object | string} config a configuration object or JSON string (see docs/src/configuration.md)
   * @param {{accounts?: Accounts, authorize?: Authorize, log?: (message: string) => void,
   *   events?: (event: AuditEvent) => void}} [options]
   *   `accounts` replaces the configured users with the host's; `authorize` is asked after
   *   the token and scope checks; `log` receives callback failures (default `console.error`).
   *   `events` receives every audit event (on the event loop, after the
   *   request was answered; one that throws is logged); without it, the warnings (refresh
   *   reuse, locks, store errors) go to `log` as `audit: {...}` lines.
   */
  constructor(config, options = {}) {
    const { accounts, authorize, events } = options ?? {}
    if (accounts !== undefined && !(accounts && typeof accounts.verify === 'function' && typeof accounts.lookup === 'function')) {
      throw new TypeError('options.accounts must have verify(username, password) and lookup(username) functions')
    }
    if (authorize !== undefined && typeof authorize !== 'function') throw new TypeError('options.authorize must be a function')
    if (events !== undefined && typeof events !== 'function') throw new TypeError('options.events must be a function')
    const log = options?.log ?? ((/** @type {string} */ message) => console.error(`ropc: ${message}`))
    const json = configJson(config)
    // Without an `events` handler the core sends only the warnings (reuse,
    // locks, store errors), and they go to `log`: an operator hears of an
    // outage as Python's `ropc.audit` logger tells it.
    const deliver = events
      ? (/** @type {string} */ text) => {
          /** @type {AuditEvent} */
          const event = JSON.parse(text)
          try {
            events(event)
          } catch (e) {
            log(`the events handler failed on a ${event.kind} event: ${/** @type {Error} */ (e).message}`)
          }
        }
      : (/** @type {string} */ text) => log(`audit: ${text}`)
    const made = call(
      () =>
        accounts || authorize
          ? native.createServerWithCallbacks(json, dispatcher(accounts, authorize, log), !!accounts, !!authorize, deliver, !events)
          : native.createServer(json, deliver, !events),
      config,
    )
    this.#native = made
  }

  /**
   * Swaps in a new configuration without dropping a token (tokens of removed clients
   * and users stop working); callbacks stay. Rejects with a {@link ConfigError}, having
   * changed nothing, when it is invalid or moves the store.
   * @param {object | string} config
   * @returns {Promise<void>}
   */
  async reload(config) {
    await settle(this.#native.reload(configJson(config)), config)
  }

  /**
   * The same from the configuration file at `path`, read by the core (strict UTF-8: a
   * file cut inside a character is a {@link ConfigError} naming the file).
   * @param {string} path
   * @returns {Promise<void>}
   */
  async reloadFile(path) {
    await settle(this.#native.reloadFile(str(path, 'path')))
  }

  /** Drops this process's cached state of an owner (host accounts). @param {string} username */
  forgetOwner(username) {
    this.#native.forgetOwner(str(username, 'username'))
  }

  /**
   * What the account layer did: host callbacks, owner-cache misses, paced answers, failures.
   * @returns {{verifyCalls: number, lookupCalls: number, paced: number, failures: number, paceTargetUs: number}}
   */
  accountsStats() {
    return this.#native.accountsStats()
  }

  /** @type {import('./native-api.js').NativeServer} */
  #native

  /**
   * Where answering this endpoint request may run, as the core classifies it: `'inline'`
   * (microseconds: answered on the event loop), `'cpu'` (argon2: libuv's pool) or `'waits'`
   * (a database or a callback: ropc's waiting threads). Every call here already goes where
   * its class says; this is for glue that schedules work of its own.
   * @param {string} method @param {Headers} headers @param {Body} body
   * @returns {Blocking}
   */
  requestBlocking(method, headers, body) {
    const [m, contentType, authorization, bytes] = endpointArgs(method, headers, body)
    return /** @type {Blocking} */ (call(() => this.#native.requestBlocking(m, contentType, authorization, bytes)))
  }

  /**
   * Where a typed call may run (as {@link Server#requestBlocking}): `'as_client'` is a refresh,
   * an introspection or a revocation by `clientId`; `'store'` every other call (the checks,
   * metrics, changes to owners).
   * @param {'password_grant' | 'as_client' | 'store' | 'hash_password'} kind @param {string} [clientId]
   * @returns {Blocking}
   */
  callBlocking(kind, clientId) {
    const id = clientId === undefined ? null : str(clientId, 'clientId')
    return /** @type {Blocking} */ (call(() => this.#native.callBlocking(str(kind, 'kind'), id)))
  }

  /**
   * A server from a JSON configuration file; `options` as for the constructor.
   * @param {string} path
   * @param {ConstructorParameters<typeof Server>[1]} [options]
   * @returns {Server}
   */
  static fromFile(path, options) {
    // A missing or unreadable file throws Node's own error (code ENOENT, EACCES, ...).
    const json = fs.readFileSync(str(path, 'path'), 'utf8')
    try {
      return new Server(json, options)
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e
      const at = e.line === null || e.column === null ? {} : { line: e.line, column: e.column }
      const failure = { path: e.path, message: e.detail, text: e.message, textWithoutPosition: e.message, ...at }
      throw new ConfigError(native.configFailureInFile(failure, path))
    }
  }

  /** The realm of `WWW-Authenticate` challenges. @returns {string} */
  get realm() {
    return this.#native.realm
  }

  /**
   * The token endpoint (RFC 6749 §3.2): answered on the event loop when the core classifies the
   * request inline, else where its class belongs. `context` (the request's remote address and
   * id) goes into its audit events.
   * @param {string} method @param {Headers} headers @param {Body} body @param {RequestContext} [context]
   * @returns {Promise<HttpResponse>}
   */
  async tokenEndpoint(method, headers, body, context = {}) {
    const args = /** @type {const} */ ([...endpointArgs(method, headers, body), ...contextArgs(context)])
    return toResponse(await settle(call(() => this.#native.answer('token', ...args))))
  }

  /**
   * The introspection endpoint (RFC 7662).
   * @param {string} method @param {Headers} headers @param {Body} body @param {RequestContext} [context]
   * @returns {Promise<HttpResponse>}
   */
  async introspectionEndpoint(method, headers, body, context = {}) {
    const args = /** @type {const} */ ([...endpointArgs(method, headers, body), ...contextArgs(context)])
    return toResponse(await settle(call(() => this.#native.answer('introspection', ...args))))
  }

  /**
   * The revocation endpoint (RFC 7009).
   * @param {string} method @param {Headers} headers @param {Body} body @param {RequestContext} [context]
   * @returns {Promise<HttpResponse>}
   */
  async revocationEndpoint(method, headers, body, context = {}) {
    const args = /** @type {const} */ ([...endpointArgs(method, headers, body), ...contextArgs(context)])
    return toResponse(await settle(call(() => this.#native.answer('revocation', ...args))))
  }

  /**
   * `GET /jwks.json`: the key set resource servers verify JWT access tokens with (404 when the
   * server signs nothing); cacheable, as its `Cache-Control` says. It reads the store.
   * @param {string} method @returns {Promise<HttpResponse>}
   */
  async keySetEndpoint(method) {
    return toResponse(await settle(call(() => this.#native.keySetEndpoint(str(method, 'method')))))
  }

  /**
   * Forward-auth: the answer for the request a gateway holds, from the gateway's headers
   * (`Authorization`, and `X-Forwarded-Method`/`X-Forwarded-Uri` from Traefik or
   * `X-Original-Method`/`X-Original-URI` as NGINX is set up to send): 200 with `X-Auth-User`,
   * `X-Auth-Client` and `X-Auth-Scope`, or the RFC 6750 refusal to pass back. Without those
   * headers, a `target` under `/auth` names the held request, with `method` (Envoy's ext_authz).
   * @param {Headers} headers @param {string} [method] @param {string} [target] @returns {Promise<HttpResponse>}
   */
  async forwardAuth(headers, method = '', target = '') {
    const pairs = forwardedArgs(headers)
    const [m, t] = [str(method, 'method'), str(target, 'target')]
    return toResponse(await settle(call(() => this.#native.forwardAuth(m, t, pairs))))
  }

  /**
   * `GET /.well-known/oauth-authorization-server`: the RFC 8414 metadata (404 without an issuer).
   * @param {string} method @returns {HttpResponse}
   */
  metadataEndpoint(method) {
    return toResponse(this.#native.metadataEndpoint(str(method, 'method')))
  }

  /**
   * The password grant; rejects with an {@link OAuthError} when refused.
   * @param {string} clientId @param {string | null} clientSecret @param {string} username @param {string} password
   * @param {string | null} [scope]
   * @returns {Promise<TokenResponse>}
   */
  async passwordGrant(clientId, clientSecret, username, password, scope) {
    const args = /** @type {const} */ ([str(clientId, 'clientId'), optStr(clientSecret, 'clientSecret'), str(username, 'username'), str(password, 'password'), optStr(scope, 'scope')])
    return toTokens(await settle(call(() => this.#native.passwordGrant(...args))))
  }

  /**
   * The refresh_token grant, with rotation.
   * @param {string} clientId @param {string | null} clientSecret @param {string} refreshToken @param {string | null} [scope]
   * @returns {Promise<TokenResponse>}
   */
  async refreshGrant(clientId, clientSecret, refreshToken, scope) {
    const args = /** @type {const} */ ([str(clientId, 'clientId'), optStr(clientSecret, 'clientSecret'), str(refreshToken, 'refreshToken'), optStr(scope, 'scope')])
    return toTokens(await settle(call(() => this.#native.refreshGrant(...args))))
  }

  /**
   * Introspection (RFC 7662): the response object.
   * @param {string} clientId @param {string | null} clientSecret @param {string} token @param {string | null} [tokenTypeHint]
   * @returns {Promise<Record<string, unknown>>}
   */
  async introspect(clientId, clientSecret, token, tokenTypeHint) {
    const args = /** @type {const} */ ([str(clientId, 'clientId'), optStr(clientSecret, 'clientSecret'), str(token, 'token'), optStr(tokenTypeHint, 'tokenTypeHint')])
    return JSON.parse(await settle(call(() => this.#native.introspect(...args))))
  }

  /**
   * Revocation (RFC 7009); unknown tokens succeed.
   * @param {string} clientId @param {string | null} clientSecret @param {string} token @param {string | null} [tokenTypeHint]
   * @returns {Promise<void>}
   */
  async revoke(clientId, clientSecret, token, tokenTypeHint) {
    const args = /** @type {const} */ ([str(clientId, 'clientId'), optStr(clientSecret, 'clientSecret'), str(token, 'token'), optStr(tokenTypeHint, 'tokenTypeHint')])
    await settle(call(() => this.#native.revoke(...args)))
  }

  /**
   * Stage 5 with the token itself; rejects with an {@link OAuthError} carrying the RFC 6750 response.
   * On the event loop with the memory store (microseconds), off it with a database or callbacks.
   * @param {string} accessToken @param {string} resource @param {string | null} [scope]
   * @returns {Promise<Principal>}
   */
  async check(accessToken, resource, scope) {
    const args = /** @type {const} */ ([str(accessToken, 'accessToken'), str(resource, 'resource'), optStr(scope, 'scope')])
    return principalOf(await settle(call(() => this.#native.check(...args))))
  }

  /**
   * Stage 5 from the request's Authorization header (`null`/`undefined` when absent).
   * @param {string | null | undefined} authorization @param {string} resource @param {string | null} [scope]
   * @returns {Promise<Principal>}
   */
  async checkRequest(authorization, resource, scope) {
    const args = /** @type {const} */ ([optStr(authorization, 'authorization'), str(resource, 'resource'), optStr(scope, 'scope')])
    return principalOf(await settle(call(() => this.#native.checkRequest(...args))))
  }

  /**
   * Stage 5 for a request that may carry a DPoP-bound token (RFC 9449 §7): `Authorization: DPoP
   * <token>` with the request's `DPoP` proof for `method` and `uri` (the absolute URI the client
   * reached: scheme, host, path), or a bearer token as {@link Server#checkRequest} takes it. A
   * refusal of a DPoP request carries a `DPoP` challenge.
   * @param {string | null | undefined} authorization @param {string | null | undefined} dpop
   * @param {string} method @param {string} uri @param {string} resource @param {string | null} [scope]
   * @returns {Promise<Principal>}
   */
  async checkWithProof(authorization, dpop, method, uri, resource, scope) {
    const args = /** @type {const} */ ([
      optStr(authorization, 'authorization'),
      optStr(dpop, 'dpop'),
      str(method, 'method'),
      str(uri, 'uri'),
      str(resource, 'resource'),
      optStr(scope, 'scope'),
    ])
    return principalOf(await settle(call(() => this.#native.checkWithProof(...args))))
  }

  /** Hashes a password with this server's argon2id parameters, on libuv's pool. @param {string} password @returns {Promise<string>} */
  async hashPassword(password) {
    return await settle(call(() => this.#native.hashPassword(str(password, 'password'))))
  }

  /**
   * Sets a user's password hash and ends all its tokens, in every process sharing the store.
   * Rejects with a RangeError for an unknown user or a bad hash, an {@link OAuthError}
   * `temporarily_unavailable` when the store failed (nothing changed).
   * @param {string} username @param {string} passwordHash @returns {Promise<void>}
   */
  async setUserPasswordHash(username, passwordHash) {
    await settle(call(() => this.#native.setUserPasswordHash(str(username, 'username'), str(passwordHash, 'passwordHash'))))
  }

  /**
   * Enables or disables a user; disabling ends all its tokens. Errors as {@link Server#setUserPasswordHash}.
   * @param {string} username @param {boolean} enabled @returns {Promise<void>}
   */
  async setUserEnabled(username, enabled) {
    if (typeof enabled !== 'boolean') throw new TypeError('enabled must be a boolean')
    await settle(call(() => this.#native.setUserEnabled(str(username, 'username'), enabled)))
  }

  /**
   * Ends every token of a user, in every process sharing the store; false for an unknown user.
   * @param {string} username @returns {Promise<boolean>}
   */
  async revokeUserTokens(username) {
    return (await settle(call(() => this.#native.revokeUserTokens(str(username, 'username'))))) === 'true'
  }

  /**
   * The server's metrics as Prometheus text (exposition format 0.0.4); off the event loop when
   * the store may wait.
   * @returns {Promise<string>}
   */
  async metrics() {
    return String(await settle(call(() => this.#native.metrics())))
  }

  /** Drops expired and revoked tokens now, in bounded batches; resolves to how many. @returns {Promise<number>} */
  async purgeExpired() {
    return Number(await settle(call(() => this.#native.purgeExpired())))
  }

  /**
   * The token-endpoint response for an error (RFC 6749 §5.2), for a caller that
   * answers by itself: `code` is an RFC code (`'server_error'`, `'invalid_request'`, ...).
   * @param {string} code @param {string} description
   * @returns {HttpResponse}
   */
  errorResponse(code, description) {
    return toResponse(this.#native.errorResponse(str(code, 'code'), str(description, 'description')))
  }

  /** The configuration as it is now (re-hashed passwords included), as JSON. @returns {string} */
  configJson() {
    return this.#native.configJson()
  }
}

module.exports = { Server }
