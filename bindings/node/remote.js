'use strict'
// A resource server in another process: the introspection client.
const { str } = require('./args.js')
const { IntrospectionUnavailable } = require('./errors.js')
const { ResourceGuard } = require('./guard.js')
/** @typedef {import('./server.js').Server} Server */
/** @typedef {import('./args.js').Principal} Principal */

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

module.exports = { IntrospectionChecker }
