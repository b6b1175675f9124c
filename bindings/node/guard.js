'use strict'
// A resource server's guard and the resource-name rule.
const native = require('./native.js')
const { str, optStr, configJson, principalOf } = require('./args.js')
const { call } = require('./errors.js')
/** @typedef {import('./args.js').Principal} Principal */

/** A resource server's guard: decides from an introspection response with the shared scopes and rules. */
class ResourceGuard {
  /** @param {object | string} config */
  constructor(config) {
    const json = configJson(config)
    this.#native = call(() => native.createGuard(json), config)
  }

  /** @type {import('./native-api.js').NativeGuard} */
  #native

  /** @internal @returns {import('./native-api.js').NativeGuard} */
  get nativeGuard() {
    return this.#native
  }

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
    const json = configJson(config)
    call(() => this.#native.reload(json), config)
  }

  /**
   * The same from the configuration file at `path`, read by the core (strict UTF-8).
   * @param {string} path
   */
  reloadFile(path) {
    call(() => this.#native.reloadFile(str(path, 'path')))
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
    return call(() => this.#native.bearerToken(optStr(authorization, 'authorization')))
  }

  /**
   * Until when (seconds since the epoch) an introspection response given at `now` may be
   * kept for at most `maxSeconds`: active answers only, never past `exp`; null: not at all.
   * @param {string} introspection @param {number} now @param {number} maxSeconds
   * @returns {number | null}
   */
  cacheUntil(introspection, now, maxSeconds) {
    return this.#native.cacheUntil(str(introspection, 'introspection'), now, maxSeconds) ?? null
  }

  /**
   * The refusal when the authorization server could not be asked: an {@link OAuthError}
   * (`temporarily_unavailable`, 503 with `Retry-After`, as a store outage answers a check),
   * returned, not thrown.
   * @returns {import('./errors.js').OAuthError}
   */
  unavailable() {
    try {
      call(() => this.#native.unavailable())
    } catch (e) {
      return /** @type {import('./errors.js').OAuthError} */ (e)
    }
    throw new Error('unreachable: the native side always refuses')
  }

  /**
   * Stage 5 offline for a JWT access token (RFC 9068) with the authorization server's key set:
   * the signature, `typ`, `iss` (the configuration's `issuer`), `aud` (its `audience`) and `exp`,
   * then the same rules as an introspection response. Throws an {@link OAuthError} carrying the
   * RFC 6750 response.
   * @param {string | null | undefined} authorization the request's Authorization header
   * @param {KeySet} keys @param {string} resource @param {string | null} [scope]
   * @returns {Principal}
   */
  checkJwtRequest(authorization, keys, resource, scope) {
    if (!(keys instanceof KeySet)) throw new TypeError('keys must be a ropc.KeySet')
    return principalOf(call(() => this.#native.checkJwtRequest(optStr(authorization, 'authorization'), keys.native, str(resource, 'resource'), optStr(scope, 'scope'))))
  }

  /**
   * The token of an `Authorization: DPoP` header (RFC 9449); null for another scheme; throws the
   * refusal for a malformed one.
   * @param {string | null | undefined} authorization @returns {string | null}
   */
  dpopToken(authorization) {
    return call(() => this.#native.dpopToken(optStr(authorization, 'authorization'))) ?? null
  }

  /**
   * Stage 5 from an introspection answer for a request that used the `DPoP` scheme: the proof
   * (`dpop`, the request's header) for `method`, `uri` (the absolute URI the client reached) and
   * `token`, used once here, made with the key the answer's `cnf.jkt` names. Throws the refusal
   * (a `DPoP` challenge).
   * @param {string} introspection @param {string} token @param {string | null | undefined} dpop
   * @param {string} method @param {string} uri @param {string} resource @param {string | null} [scope]
   * @returns {Principal}
   */
  checkIntrospectionWithProof(introspection, token, dpop, method, uri, resource, scope) {
    const args = /** @type {const} */ ([str(introspection, 'introspection'), str(token, 'token'), optStr(dpop, 'dpop'), str(method, 'method'), str(uri, 'uri'), str(resource, 'resource'), optStr(scope, 'scope')])
    return principalOf(call(() => this.#native.checkIntrospectionWithProof(...args)))
  }

  /**
   * {@link ResourceGuard#checkIntrospectionWithProof} for a JWT checked offline with `keys`.
   * @param {string} token @param {KeySet} keys @param {string | null | undefined} dpop
   * @param {string} method @param {string} uri @param {string} resource @param {string | null} [scope]
   * @returns {Principal}
   */
  checkJwtWithProof(token, keys, dpop, method, uri, resource, scope) {
    if (!(keys instanceof KeySet)) throw new TypeError('keys must be a ropc.KeySet')
    const args = /** @type {const} */ ([str(token, 'token'), keys.native, optStr(dpop, 'dpop'), str(method, 'method'), str(uri, 'uri'), str(resource, 'resource'), optStr(scope, 'scope')])
    return principalOf(call(() => this.#native.checkJwtWithProof(...args)))
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
    return principalOf(call(() => this.#native.checkIntrospection(json, str(resource, 'resource'), optStr(scope, 'scope'))))
  }
}

/** A key set (RFC 7517): the public keys JWT access tokens are verified with, read strictly. */
class KeySet {
  /** @param {string | Buffer | object} jwks a JWKS document (`{"keys": [...]}`) @throws {RangeError} when it is not one */
  constructor(jwks) {
    let json
    if (typeof jwks === 'string') json = jwks
    else if (jwks instanceof Uint8Array) json = Buffer.from(jwks).toString('utf8')
    else if (jwks !== null && typeof jwks === 'object') json = JSON.stringify(jwks)
    else throw new TypeError('a key set must be a string, a Buffer or an object')
    try {
      this.#native = native.createKeySet(json)
    } catch (e) {
      throw new RangeError(/** @type {Error} */ (e).message)
    }
  }

  /** @type {import('./native-api.js').NativeKeySet} */
  #native

  /** The keys' `kid`, in order. @returns {string[]} */
  get kids() {
    return this.#native.kids
  }

  /** @internal @returns {import('./native-api.js').NativeKeySet} */
  get native() {
    return this.#native
  }
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
  return call(() => native.resourceName(str(method, 'method'), str(target, 'target'), str(realm, 'realm')))
}

module.exports = { ResourceGuard, KeySet, resourceName }
