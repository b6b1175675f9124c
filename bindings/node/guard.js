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

module.exports = { ResourceGuard, resourceName }
