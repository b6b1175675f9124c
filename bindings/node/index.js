'use strict'
/**
 * ropc: an OAuth 2.0 authorization server and resource-server check for the
 * resource owner password credentials grant, with a Rust core.
 *
 * Anything that may run argon2 or wait on the store's disk or network returns
 * a Promise computed on the libuv pool (a `...Sync` twin blocks instead); with
 * the memory store, calls that cost microseconds are answered in place.
 * @module ropc
 */

const fs = require('node:fs')
const native = require('./loader.js').load()

/** @type {number} */
const MAX_BODY_BYTES = native.maxBodyBytes()

/**
 * An HTTP response to send as it is: `headers` is the list of
 * `[name, value]` pairs in order (a name may repeat), as in C and Python.
 * @typedef {object} HttpResponse
 * @property {number} status
 * @property {Array<[string, string]>} headers
 * @property {Buffer} body
 */

/**
 * The first value of header `name` (any case) in a response's list, or null.
 * @param {{headers: Array<[string, string]>}} response @param {string} name
 * @returns {string | null}
 */
function headerOf(response, name) {
  const want = name.toLowerCase()
  const found = response.headers.find(([n]) => n.toLowerCase() === want)
  return found ? found[1] : null
}

/**
 * A token response (RFC 6749 §5.1).
 * @typedef {object} TokenResponse
 * @property {string} accessToken
 * @property {string} tokenType always `Bearer`
 * @property {number} expiresIn seconds
 * @property {string | null} refreshToken
 * @property {string} scope
 */

/**
 * Who is calling a resource.
 * @typedef {object} Principal
 * @property {string} username
 * @property {string} clientId
 * @property {string[]} scopes
 * @property {string[]} groups
 * @property {number} expiresAt seconds since the epoch
 */

/**
 * Request headers: Node's `req.headers`, a `Map`, or `[name, value]` pairs.
 * @typedef {Record<string, string | string[] | undefined> | Map<string, string> | Array<[string, string]> | null | undefined} Headers
 */

/** The request body. @typedef {Buffer | Uint8Array | string | null | undefined} Body */

/**
 * A refusal: `code` is the RFC error code (`invalid_grant`, ...; `null` only
 * for a resource request without credentials), with the ready response.
 */
class OAuthError extends Error {
  /** @param {any} info */
  constructor(info) {
    super(info.code ? `${info.code}: ${info.description}` : info.description)
    this.name = 'OAuthError'
    /** @type {string | null} */
    this.code = info.code ?? null
    /** @type {string} */
    this.description = info.description
    /** @type {string | null} the scope an `insufficient_scope` refusal needed */
    this.scope = info.scope ?? null
    const resp = toResponse(info.response)
    /** @type {number} */
    this.status = resp.status
    /** @type {Array<[string, string]>} the response's headers, in order */
    this.headers = resp.headers
    /** @type {Buffer} */
    this.body = resp.body
  }

  /**
   * The first value of the response header `name` (any case), or null.
   * @param {string} name @returns {string | null}
   */
  header(name) {
    return headerOf(this, name)
  }
}

/** A configuration that cannot be loaded: `path` says where. */
class ConfigError extends Error {
  /** @param {{path: string, message: string, text: string}} failure */
  constructor(failure) {
    super(failure.text)
    this.name = 'ConfigError'
    /** @type {string} */
    this.code = 'ERR_ROPC_CONFIG'
    /** @type {string} */
    this.path = failure.path
    /** @type {string} */
    this.detail = failure.message
  }
}

/**
 * A run-time change to a resource owner that could not be made (an unknown
 * user, a bad hash, or owners that are the host's): `code` is
 * `ERR_ROPC_ACCOUNT`. A `RangeError`, as such changes always threw.
 */
class AccountError extends RangeError {
  /** @param {string} message */
  constructor(message) {
    super(message)
    this.name = 'AccountError'
    /** @type {string} */
    this.code = 'ERR_ROPC_ACCOUNT'
  }
}

/** @param {any} r @returns {HttpResponse} */
function toResponse(r) {
  /** @type {Array<[string, string]>} */
  const headers = r.headers.map((/** @type {{name: string, value: string}} */ h) => [h.name, h.value])
  return { status: r.status, headers, body: r.body }
}

/** @param {any} outcome @param {string} key */
function unwrap(outcome, key) {
  if (outcome.error) throw new OAuthError(outcome.error)
  if (outcome.argumentError) throw new AccountError(outcome.argumentError)
  if (outcome.configError) throw new ConfigError(outcome.configError)
  return outcome[key]
}

/**
 * A principal packed by the native check (see `packed` in src/lib.rs), or a refusal to throw.
 * @param {string | any} r
 * @returns {Principal}
 */
function principalOf(r) {
  if (typeof r !== 'string') throw new OAuthError(r)
  const [username, clientId, scopes, groups, expiresAt] = r.split('\0')
  return {
    username,
    clientId,
    scopes: scopes ? scopes.split(' ') : [],
    groups: groups ? groups.split('\u0001') : [],
    expiresAt: Number(expiresAt),
  }
}

/** A principal object from the native side. @param {any} p @returns {Principal} */
function toPrincipal(p) {
  return { username: p.username, clientId: p.clientId, scopes: p.scopes, groups: p.groups, expiresAt: p.expiresAt }
}

/** @param {unknown} v @param {string} name @returns {string} */
function str(v, name) {
  if (typeof v !== 'string') throw new TypeError(`${name} must be a string, not ${v === null ? 'null' : typeof v}`)
  return v
}

/** @param {unknown} v @param {string} name @returns {string | null} */
function optStr(v, name) {
  return v === undefined || v === null ? null : str(v, name)
}

/** @param {unknown} config @returns {string} */
function configJson(config) {
  if (typeof config === 'string') return config
  if (config !== null && typeof config === 'object' && !Array.isArray(config)) return JSON.stringify(config)
  throw new TypeError('the configuration must be an object or a JSON string')
}

/** @param {Headers} headers @returns {{contentType: string | null, authorization: string | null}} */
function findHeaders(headers) {
  /** @type {{contentType: string | null, authorization: string | null}} */
  const found = { contentType: null, authorization: null }
  if (headers === null || headers === undefined) return found
  if (typeof headers !== 'object') throw new TypeError('headers must be an object, a Map or [name, value] pairs')
  const pairs = headers instanceof Map || Array.isArray(headers) ? headers : Object.entries(headers)
  for (const pair of pairs) {
    if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError('headers must be [name, value] pairs')
    const [name, value] = pair
    if (value === undefined) continue
    const key = String(name).toLowerCase()
    const slot = key === 'content-type' ? 'contentType' : key === 'authorization' ? 'authorization' : null
    if (!slot) continue
    const values = Array.isArray(value) ? value : [value]
    for (const v of values) {
      if (typeof v !== 'string') throw new TypeError(`the ${name} header must be a string`)
      // A header that came twice is handed on joined (RFC 9110 §5.3): the
      // core refuses two Authorization headers with invalid_request.
      found[slot] = found[slot] === null ? v : `${found[slot]}, ${v}`
    }
  }
  return found
}

/** @param {Body} body @returns {Buffer} */
function toBuffer(body) {
  let buf
  if (body === null || body === undefined) buf = Buffer.alloc(0)
  else if (typeof body === 'string') buf = Buffer.from(body, 'utf8')
  else if (body instanceof Uint8Array) buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  else throw new TypeError('the body must be a Buffer, a Uint8Array or a string')
  // One byte past the limit is enough for the core to refuse it.
  return buf.length > MAX_BODY_BYTES + 1 ? buf.subarray(0, MAX_BODY_BYTES + 1) : buf
}

/** @param {unknown} method @param {unknown} headers @param {unknown} body */
function endpointArgs(method, headers, body) {
  const h = findHeaders(/** @type {Headers} */ (headers))
  return [str(method, 'method'), h.contentType, h.authorization, toBuffer(/** @type {Body} */ (body))]
}

/** @param {any} t @returns {TokenResponse} */
function toTokens(t) {
  return { accessToken: t.accessToken, tokenType: t.tokenType, expiresIn: t.expiresIn, refreshToken: t.refreshToken ?? null, scope: t.scope }
}

/**
 * A resource owner as `accounts.verify` / `accounts.lookup` describe it.
 * @typedef {object} Owner
 * @property {string[]} [groups] default none
 * @property {boolean} [enabled] default true
 * @property {number} [credentialVersion] a number the host changes whenever the owner's
 *   credentials change (a counter, the time of the last password change): a new one ends
 *   the owner's older tokens, in every process sharing the store
 */

/**
 * Resource owners kept by the host. Each method may return a value or a
 * Promise (a database driver is async); ropc calls them from the libuv pool
 * and waits for them without blocking the event loop.
 * @typedef {object} Accounts
 * @property {(username: string, password: string) => Owner | false | null | undefined | Promise<Owner | false | null | undefined>} verify
 *   an `Owner` when the password is right, `false` when it is wrong, `null` for an unknown user; must not log the password
 * @property {(username: string) => Owner | null | undefined | Promise<Owner | null | undefined>} lookup
 *   the owner's current state, or `null` when there is no such user any more
 */

/**
 * May this owner use this resource? Asked after the token and scope checks.
 * @typedef {(principal: Principal, resource: string, scope: string | null) => boolean | Promise<boolean>} Authorize
 */

/**
 * What a callback returned, shaped for the core (see src/callbacks.rs).
 * @param {string} kind @param {any} value
 */
function callbackAnswer(kind, value) {
  /** @param {any} o */
  const owner = (o) => {
    const groups = o.groups ?? []
    if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) throw new TypeError('groups must be an array of strings')
    if (o.enabled !== undefined && typeof o.enabled !== 'boolean') throw new TypeError('enabled must be a boolean')
    const credential = o.credentialVersion ?? null
    if (credential !== null && !(Number.isSafeInteger(credential) && credential >= 0)) {
      throw new TypeError('credentialVersion must be a non-negative safe integer')
    }
    return { groups, enabled: o.enabled ?? true, credential }
  }
  if (kind === 'verify') {
    if (value === false) return { kind: 'wrong_password' }
    if (value === null || value === undefined) return { kind: 'unknown_user' }
    if (typeof value === 'object') return { kind: 'verified', ...owner(value) }
    throw new TypeError('accounts.verify must return an owner object, false (wrong password) or null (unknown user)')
  }
  if (kind === 'lookup') {
    if (value === null || value === undefined) return { kind: 'no_owner' }
    if (typeof value === 'object') return { kind: 'owner', ...owner(value) }
    throw new TypeError('accounts.lookup must return an owner object or null')
  }
  if (typeof value !== 'boolean') throw new TypeError('authorize must return true or false')
  return { kind: 'allow', allowed: value }
}

/**
 * The one function the native side calls for every callback: runs the
 * host's callback, waits for its Promise, and settles the waiting worker.
 * @param {Accounts | undefined} accounts @param {Authorize | undefined} authorize @param {(message: string) => void} log
 */
function dispatcher(accounts, authorize, log) {
  /** @param {number} id @param {string} payload */
  return (id, payload) => {
    /** @type {any} */
    let req = {}
    Promise.resolve()
      .then(() => {
        req = JSON.parse(payload)
        if (req.kind === 'verify') return /** @type {Accounts} */ (accounts).verify(req.username, req.password)
        if (req.kind === 'lookup') return /** @type {Accounts} */ (accounts).lookup(req.username)
        return /** @type {Authorize} */ (authorize)(req.principal, req.resource, req.scope ?? null)
      })
      .then((value) => callbackAnswer(req.kind, value))
      .catch((/** @type {any} */ err) => {
        const message = `${req.kind ?? 'a'} callback failed: ${err && err.name ? `${err.name}: ${err.message}` : String(err)}`
        try {
          log(message)
        } catch {
          // A failing logger must not keep the worker waiting.
        }
        return { kind: 'error', message }
      })
      .then((answer) => native.settleCallback(id, JSON.stringify(answer)))
  }
}

/** An authorization server. Safe to use from many async callers at once. */
class Server {
  /**
   * @param {object | string} config a configuration object or JSON string (see the README)
   * @param {{accounts?: Accounts, authorize?: Authorize, log?: (message: string) => void}} [options]
   *   `accounts` replaces the configured users with the host's; `authorize` is asked after
   *   the token and scope checks; `log` receives callback failures (default `console.error`).
   *   With either callback the `...Sync` methods throw: they would block the event loop the
   *   callbacks need.
   */
  constructor(config, options = {}) {
    const { accounts, authorize } = options ?? {}
    if (accounts !== undefined && !(accounts && typeof accounts.verify === 'function' && typeof accounts.lookup === 'function')) {
      throw new TypeError('options.accounts must have verify(username, password) and lookup(username) functions')
    }
    if (authorize !== undefined && typeof authorize !== 'function') throw new TypeError('options.authorize must be a function')
    const log = options?.log ?? ((/** @type {string} */ message) => console.error(`ropc: ${message}`))
    const made =
      accounts || authorize
        ? native.createServerWithCallbacks(configJson(config), dispatcher(accounts, authorize, log), !!accounts, !!authorize)
        : native.createServer(configJson(config))
    if (!(made instanceof native.NativeServer)) throw new ConfigError(made)
    this.#native = made
    this.#blocking = made.callsMayBlock
  }

  /**
   * Swaps in a new configuration without dropping a token (tokens of removed clients
   * and users stop working); callbacks stay. Rejects with a {@link ConfigError}, having
   * changed nothing, when it is invalid or moves the store.
   * @param {object | string} config
   * @returns {Promise<void>}
   */
  async reload(config) {
    unwrap(await this.#native.reload(configJson(config)), 'text')
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

  /** @type {any} */
  #native

  /** Whether store calls may wait on a disk or a network (then every call goes to the pool). */
  #blocking = false

  /** Whether calls that read tokens may block: a database store (SQLite, PostgreSQL), or host callbacks. @returns {boolean} */
  get callsMayBlock() {
    return this.#blocking
  }

  /** Whether a call authenticating `clientId` belongs on the pool (the core decides). @param {string | null} clientId */
  #offLoop(clientId) {
    return this.#native.clientCallMayBlock(clientId)
  }

  /**
   * A server from a JSON configuration file; `options` as for the constructor.
   * @param {string} path
   * @param {ConstructorParameters<typeof Server>[1]} [options]
   * @returns {Server}
   */
  static fromFile(path, options) {
    let json
    try {
      json = fs.readFileSync(str(path, 'path'), 'utf8')
    } catch (e) {
      const message = `cannot read the file: ${/** @type {Error} */ (e).message}`
      throw new ConfigError({ path, message, text: `invalid configuration at ${path}: ${message}` })
    }
    return new Server(json, options)
  }

  /** The realm of `WWW-Authenticate` challenges. @returns {string} */
  get realm() {
    return this.#native.realm
  }

  /**
   * The token endpoint (RFC 6749 §3.2), on the libuv pool.
   * @param {string} method @param {Headers} headers @param {Body} body
   * @returns {Promise<HttpResponse>}
   */
  async tokenEndpoint(method, headers, body) {
    const args = endpointArgs(method, headers, body)
    // Only what may block goes to the pool; the rest takes microseconds.
    const outcome = this.#native.mayBlock(...args) ? await this.#native.tokenEndpoint(...args) : this.#native.tokenEndpointSync(...args)
    return toResponse(unwrap(outcome, 'response'))
  }

  /** @param {string} method @param {Headers} headers @param {Body} body @returns {HttpResponse} */
  tokenEndpointSync(method, headers, body) {
    return toResponse(unwrap(this.#native.tokenEndpointSync(...endpointArgs(method, headers, body)), 'response'))
  }

  /**
   * The introspection endpoint (RFC 7662).
   * @param {string} method @param {Headers} headers @param {Body} body
   * @returns {Promise<HttpResponse>}
   */
  async introspectionEndpoint(method, headers, body) {
    const args = endpointArgs(method, headers, body)
    // Only what may block goes to the pool; the rest takes microseconds.
    const outcome = this.#native.mayBlock(...args) ? await this.#native.introspectionEndpoint(...args) : this.#native.introspectionEndpointSync(...args)
    return toResponse(unwrap(outcome, 'response'))
  }

  /** @param {string} method @param {Headers} headers @param {Body} body @returns {HttpResponse} */
  introspectionEndpointSync(method, headers, body) {
    return toResponse(unwrap(this.#native.introspectionEndpointSync(...endpointArgs(method, headers, body)), 'response'))
  }

  /**
   * The revocation endpoint (RFC 7009).
   * @param {string} method @param {Headers} headers @param {Body} body
   * @returns {Promise<HttpResponse>}
   */
  async revocationEndpoint(method, headers, body) {
    const args = endpointArgs(method, headers, body)
    // Only what may block goes to the pool; the rest takes microseconds.
    const outcome = this.#native.mayBlock(...args) ? await this.#native.revocationEndpoint(...args) : this.#native.revocationEndpointSync(...args)
    return toResponse(unwrap(outcome, 'response'))
  }

  /** @param {string} method @param {Headers} headers @param {Body} body @returns {HttpResponse} */
  revocationEndpointSync(method, headers, body) {
    return toResponse(unwrap(this.#native.revocationEndpointSync(...endpointArgs(method, headers, body)), 'response'))
  }

  /**
   * The password grant; rejects with an {@link OAuthError} when refused.
   * @param {string} clientId @param {string | null} clientSecret @param {string} username @param {string} password
   * @param {string | null} [scope]
   * @returns {Promise<TokenResponse>}
   */
  async passwordGrant(clientId, clientSecret, username, password, scope) {
    const args = [str(clientId, 'clientId'), optStr(clientSecret, 'clientSecret'), str(username, 'username'), str(password, 'password'), optStr(scope, 'scope')]
    return toTokens(unwrap(await this.#native.passwordGrant(...args), 'tokens'))
  }

  /**
   * @param {string} clientId @param {string | null} clientSecret @param {string} username @param {string} password
   * @param {string | null} [scope]
   * @returns {TokenResponse}
   */
  passwordGrantSync(clientId, clientSecret, username, password, scope) {
    const args = [str(clientId, 'clientId'), optStr(clientSecret, 'clientSecret'), str(username, 'username'), str(password, 'password'), optStr(scope, 'scope')]
    return toTokens(unwrap(this.#native.passwordGrantSync(...args), 'tokens'))
  }

  /**
   * The refresh_token grant, with rotation.
   * @param {string} clientId @param {string | null} clientSecret @param {string} refreshToken @param {string | null} [scope]
   * @returns {Promise<TokenResponse>}
   */
  async refreshGrant(clientId, clientSecret, refreshToken, scope) {
    const args = [str(clientId, 'clientId'), optStr(clientSecret, 'clientSecret'), str(refreshToken, 'refreshToken'), optStr(scope, 'scope')]
    return toTokens(unwrap((this.#offLoop(args[0]) ? await this.#native.refreshGrant(...args) : this.#native.refreshGrantSync(...args)), 'tokens'))
  }

  /**
   * @param {string} clientId @param {string | null} clientSecret @param {string} refreshToken @param {string | null} [scope]
   * @returns {TokenResponse}
   */
  refreshGrantSync(clientId, clientSecret, refreshToken, scope) {
    const args = [str(clientId, 'clientId'), optStr(clientSecret, 'clientSecret'), str(refreshToken, 'refreshToken'), optStr(scope, 'scope')]
    return toTokens(unwrap(this.#native.refreshGrantSync(...args), 'tokens'))
  }

  /**
   * Introspection (RFC 7662): the response object.
   * @param {string} clientId @param {string | null} clientSecret @param {string} token @param {string | null} [tokenTypeHint]
   * @returns {Promise<Record<string, unknown>>}
   */
  async introspect(clientId, clientSecret, token, tokenTypeHint) {
    const args = [str(clientId, 'clientId'), optStr(clientSecret, 'clientSecret'), str(token, 'token'), optStr(tokenTypeHint, 'tokenTypeHint')]
    return JSON.parse(unwrap((this.#offLoop(args[0]) ? await this.#native.introspect(...args) : this.#native.introspectSync(...args)), 'text'))
  }

  /**
   * @param {string} clientId @param {string | null} clientSecret @param {string} token @param {string | null} [tokenTypeHint]
   * @returns {Record<string, unknown>}
   */
  introspectSync(clientId, clientSecret, token, tokenTypeHint) {
    const args = [str(clientId, 'clientId'), optStr(clientSecret, 'clientSecret'), str(token, 'token'), optStr(tokenTypeHint, 'tokenTypeHint')]
    return JSON.parse(unwrap(this.#native.introspectSync(...args), 'text'))
  }

  /**
   * Revocation (RFC 7009); unknown tokens succeed.
   * @param {string} clientId @param {string | null} clientSecret @param {string} token @param {string | null} [tokenTypeHint]
   * @returns {Promise<void>}
   */
  async revoke(clientId, clientSecret, token, tokenTypeHint) {
    const args = [str(clientId, 'clientId'), optStr(clientSecret, 'clientSecret'), str(token, 'token'), optStr(tokenTypeHint, 'tokenTypeHint')]
    unwrap((this.#offLoop(args[0]) ? await this.#native.revoke(...args) : this.#native.revokeSync(...args)), 'text')
  }

  /**
   * @param {string} clientId @param {string | null} clientSecret @param {string} token @param {string | null} [tokenTypeHint]
   * @returns {void}
   */
  revokeSync(clientId, clientSecret, token, tokenTypeHint) {
    const args = [str(clientId, 'clientId'), optStr(clientSecret, 'clientSecret'), str(token, 'token'), optStr(tokenTypeHint, 'tokenTypeHint')]
    unwrap(this.#native.revokeSync(...args), 'text')
  }

  /**
   * Stage 5 with the token itself; rejects with an {@link OAuthError} carrying the RFC 6750 response.
   * In place with the memory store, on the libuv pool with a database.
   * @param {string} accessToken @param {string} resource @param {string | null} [scope]
   * @returns {Promise<Principal>}
   */
  async check(accessToken, resource, scope) {
    const args = [str(accessToken, 'accessToken'), str(resource, 'resource'), optStr(scope, 'scope')]
    if (!this.#blocking) return principalOf(this.#native.check(...args))
    return toPrincipal(unwrap(await this.#native.checkAsync(...args), 'principal'))
  }

  /**
   * Stage 5, blocking the calling thread (a database round trip with a database store).
   * @param {string} accessToken @param {string} resource @param {string | null} [scope]
   * @returns {Principal}
   */
  checkSync(accessToken, resource, scope) {
    return principalOf(this.#native.check(str(accessToken, 'accessToken'), str(resource, 'resource'), optStr(scope, 'scope')))
  }

  /**
   * Stage 5 from the request's Authorization header (`null`/`undefined` when absent).
   * @param {string | null | undefined} authorization @param {string} resource @param {string | null} [scope]
   * @returns {Promise<Principal>}
   */
  async checkRequest(authorization, resource, scope) {
    const args = [optStr(authorization, 'authorization'), str(resource, 'resource'), optStr(scope, 'scope')]
    if (!this.#blocking) return principalOf(this.#native.checkRequest(...args))
    return toPrincipal(unwrap(await this.#native.checkRequestAsync(...args), 'principal'))
  }

  /**
   * Stage 5 from the Authorization header, blocking the calling thread.
   * @param {string | null | undefined} authorization @param {string} resource @param {string | null} [scope]
   * @returns {Principal}
   */
  checkRequestSync(authorization, resource, scope) {
    return principalOf(this.#native.checkRequest(optStr(authorization, 'authorization'), str(resource, 'resource'), optStr(scope, 'scope')))
  }

  /** Hashes a password with this server's argon2id parameters. @param {string} password @returns {Promise<string>} */
  async hashPassword(password) {
    return unwrap(await this.#native.hashPassword(str(password, 'password')), 'text')
  }

  /** @param {string} password @returns {string} */
  hashPasswordSync(password) {
    return unwrap(this.#native.hashPasswordSync(str(password, 'password')), 'text')
  }

  /**
   * Sets a user's password hash and ends all its tokens, in every process sharing the store.
   * Rejects with a RangeError for an unknown user or a bad hash, an {@link OAuthError}
   * `temporarily_unavailable` when the store failed (nothing changed).
   * @param {string} username @param {string} passwordHash @returns {Promise<void>}
   */
  async setUserPasswordHash(username, passwordHash) {
    unwrap(await this.#native.setUserPasswordHash(str(username, 'username'), str(passwordHash, 'passwordHash')), 'text')
  }

  /** @param {string} username @param {string} passwordHash @returns {void} */
  setUserPasswordHashSync(username, passwordHash) {
    unwrap(this.#native.setUserPasswordHashSync(str(username, 'username'), str(passwordHash, 'passwordHash')), 'text')
  }

  /**
   * Enables or disables a user; disabling ends all its tokens. Errors as {@link Server#setUserPasswordHash}.
   * @param {string} username @param {boolean} enabled @returns {Promise<void>}
   */
  async setUserEnabled(username, enabled) {
    if (typeof enabled !== 'boolean') throw new TypeError('enabled must be a boolean')
    unwrap(await this.#native.setUserEnabled(str(username, 'username'), enabled), 'text')
  }

  /** @param {string} username @param {boolean} enabled @returns {void} */
  setUserEnabledSync(username, enabled) {
    if (typeof enabled !== 'boolean') throw new TypeError('enabled must be a boolean')
    unwrap(this.#native.setUserEnabledSync(str(username, 'username'), enabled), 'text')
  }

  /**
   * Ends every token of a user, in every process sharing the store; false for an unknown user.
   * @param {string} username @returns {Promise<boolean>}
   */
  async revokeUserTokens(username) {
    return unwrap(await this.#native.revokeUserTokens(str(username, 'username')), 'text') === 'true'
  }

  /** @param {string} username @returns {boolean} */
  revokeUserTokensSync(username) {
    return unwrap(this.#native.revokeUserTokensSync(str(username, 'username')), 'text') === 'true'
  }

  /** Drops expired and revoked tokens now, in bounded batches; resolves to how many. @returns {Promise<number>} */
  async purgeExpired() {
    return Number(unwrap(await this.#native.purgeExpired(), 'text'))
  }

  /** @returns {number} */
  purgeExpiredSync() {
    return Number(unwrap(this.#native.purgeExpiredSync(), 'text'))
  }

  /** The configuration as it is now (re-hashed passwords included), as JSON. @returns {string} */
  configJson() {
    return this.#native.configJson()
  }
}

/** A resource server's guard: decides from an introspection response with the shared scopes and rules. */
class ResourceGuard {
  /** @param {object | string} config */
  constructor(config) {
    const made = native.createGuard(configJson(config))
    if (!(made instanceof native.NativeGuard)) throw new ConfigError(made)
    this.#native = made
  }

  /** @type {any} */
  #native

  /** @returns {string} */
  get realm() {
    return this.#native.realm
  }

  /**
   * Swaps in the scopes and rules of a new configuration; throws a {@link ConfigError},
   * changing nothing, when it is invalid.
   * @param {object | string} config
   */
  reload(config) {
    const failure = this.#native.reload(configJson(config))
    if (failure) throw new ConfigError(failure)
  }

  /**
   * The introspection request for `token`, authenticated as the resource server's client.
   * @param {string} token @param {string} clientId @param {string} clientSecret
   * @returns {{contentType: string, authorization: string, body: string}}
   */
  introspectionRequest(token, clientId, clientSecret) {
    return this.#native.introspectionRequest(str(token, 'token'), str(clientId, 'clientId'), str(clientSecret, 'clientSecret'))
  }

  /**
   * Step one: the bearer token in an Authorization header.
   * @param {string | null | undefined} authorization
   * @returns {string}
   */
  bearerToken(authorization) {
    return unwrap(this.#native.bearerToken(optStr(authorization, 'authorization')), 'text')
  }

  /**
   * Step two: decides from the introspection response.
   * @param {string | Buffer | object} introspection @param {string} resource @param {string | null} [scope]
   * @returns {Principal}
   */
  checkIntrospection(introspection, resource, scope) {
    let json
    if (typeof introspection === 'string') json = introspection
    else if (introspection instanceof Uint8Array) json = Buffer.from(introspection).toString('utf8')
    else if (introspection !== null && typeof introspection === 'object') json = JSON.stringify(introspection)
    else throw new TypeError('the introspection response must be a string, a Buffer or an object')
    return unwrap(this.#native.checkIntrospection(json, str(resource, 'resource'), optStr(scope, 'scope')), 'principal')
  }
}

/** The authorization server could not be asked (answer 503). */
class IntrospectionUnavailable extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message)
    this.name = 'IntrospectionUnavailable'
    this.code = 'ERR_ROPC_INTROSPECTION'
  }
}

/** A resource server in another process: asks the introspection endpoint, then decides with a guard. */
class IntrospectionChecker {
  /**
   * @param {ResourceGuard} guard @param {string} introspectionUrl
   * @param {string} clientId this resource server's client id @param {string} clientSecret
   * @param {{timeoutMs?: number, log?: (message: string) => void}} [options] `log` receives why an
   *   introspection failed (default: `console.error`); no token or secret is in it
   */
  constructor(guard, introspectionUrl, clientId, clientSecret, options = {}) {
    this.guard = guard
    this.introspectionUrl = str(introspectionUrl, 'introspectionUrl')
    this.timeoutMs = options.timeoutMs ?? 5000
    /** @type {(message: string) => void} */
    this.log = options.log ?? ((message) => console.error(`ropc: ${message}`))
    this.#client = [str(clientId, 'clientId'), str(clientSecret, 'clientSecret')]
  }

  /** @type {[string, string]} */
  #client

  /**
   * POSTs the token to the introspection endpoint; its JSON body. Anything
   * but a 200 (a wrong resource-server secret, a wrong URL, the authorization
   * server's own 503) is IntrospectionUnavailable, never an inactive token:
   * the end user's token is not in question.
   * @param {string} token @returns {Promise<string>}
   */
  async introspect(token) {
    const call = this.guard.introspectionRequest(token, ...this.#client)
    let res, text
    try {
      res = await fetch(this.introspectionUrl, {
        method: 'POST',
        headers: { 'Content-Type': call.contentType, Authorization: call.authorization },
        body: call.body,
        signal: AbortSignal.timeout(this.timeoutMs),
      })
      text = await res.text()
    } catch (e) {
      throw this.#unavailable(`failed: ${/** @type {Error} */ (e).message}`)
    }
    if (res.status !== 200) throw this.#unavailable(`answered HTTP ${res.status}`)
    return text
  }

  /** The error for an introspection that could not be had, logged. @param {string} what */
  #unavailable(what) {
    const err = new IntrospectionUnavailable(`introspection at ${this.introspectionUrl} ${what}`)
    this.log(err.message)
    return err
  }

  /**
   * Like {@link Server#checkRequest}, asynchronously.
   * @param {string | null | undefined} authorization @param {string} resource @param {string | null} [scope]
   * @returns {Promise<Principal>}
   */
  async checkRequest(authorization, resource, scope) {
    const token = this.guard.bearerToken(authorization)
    return this.guard.checkIntrospection(await this.introspect(token), resource, scope)
  }
}

/**
 * argon2id PHC hash of a password (OWASP's parameters by default), on the libuv pool.
 * @param {string} password @param {{mCost?: number, tCost?: number, pCost?: number}} [params]
 * @returns {Promise<string>}
 */
async function hashPassword(password, params = {}) {
  const { mCost, tCost, pCost } = params // undefined: the core's default (OWASP's)
  return unwrap(await native.hashPassword(str(password, 'password'), mCost, tCost, pCost), 'text')
}

/**
 * @param {string} password @param {{mCost?: number, tCost?: number, pCost?: number}} [params]
 * @returns {string}
 */
function hashPasswordSync(password, params = {}) {
  const { mCost, tCost, pCost } = params // undefined: the core's default (OWASP's)
  return unwrap(native.hashPasswordSync(str(password, 'password'), mCost, tCost, pCost), 'text')
}

/** A new client secret (give it to the client once) and the hash for the configuration. @returns {{secret: string, hash: string}} */
function generateClientSecret() {
  const [secret, hash] = native.generateClientSecret()
  return { secret, hash }
}

/** The `sha256:` hash of a generated client secret. @param {string} secret @returns {string} */
function hashClientSecret(secret) {
  return native.hashClientSecret(str(secret, 'secret'))
}

/**
 * The resource name of a request by ropc's one rule (README, "Resource names"): `method`
 * and the raw request target (`req.url`: `/invoices/42?x=1`, before any decoding). Throws an
 * {@link OAuthError} (`invalid_request`, 400, with the RFC 6750 response for `realm`) for a
 * target a backend could read two ways: an encoded `/`, a dot segment, `//`, a bad escape.
 * @param {string} method @param {string} target @param {string} [realm]
 * @returns {string}
 */
function resourceName(method, target, realm = 'ropc') {
  const r = native.resourceName(str(method, 'method'), str(target, 'target'), str(realm, 'realm'))
  if (typeof r !== 'string') throw new OAuthError(r)
  return r
}

/**
 * Runs the core's accounts conformance suite on `accounts` through this
 * binding's adapter (for tests): resolves to `null`, or to what failed.
 * @param {Accounts} accounts
 * @param {{username: string, password: string, groups: string[], disabled: [string, string], unknown: string}} fixture
 * @returns {Promise<string | null>}
 */
async function checkAccounts(accounts, fixture) {
  return native.checkAccounts(dispatcher(accounts, undefined, () => {}), JSON.stringify(fixture))
}

module.exports = {
  Server,
  ResourceGuard,
  IntrospectionChecker,
  IntrospectionUnavailable,
  OAuthError,
  ConfigError,
  AccountError,
  hashPassword,
  hashPasswordSync,
  generateClientSecret,
  hashClientSecret,
  checkAccounts,
  resourceName,
  headerOf,
  version: /** @type {string} */ (native.version()),
  MAX_BODY_BYTES,
  ...require('./glue.js'),
}
