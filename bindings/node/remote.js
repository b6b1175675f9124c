'use strict'
// A resource server in another process: the introspection client, and the
// offline JWT checker with its key-set fetches (when to fetch is the core's).
const crypto = require('node:crypto')
const http = require('node:http')
const https = require('node:https')
const native = require('./native.js')
const { str, optStr, principalOf } = require('./args.js')
const { IntrospectionUnavailable, call } = require('./errors.js')
const { ResourceGuard, KeySet } = require('./guard.js')
/** @typedef {import('./server.js').Server} Server */
/** @typedef {import('./args.js').Principal} Principal */

/** A resource server in another process: asks the introspection endpoint, then decides with a guard. */
class IntrospectionChecker {
  /**
   * The options, with the same names and meaning as Python's
   * (tests/vectors/introspection_client.json lists them): `timeoutMs` (5000)
   * for each introspection; connections to the authorization server are
   * kept alive and reused (at most `poolSize`, default 8, idle ones). `cacheSeconds` (0: off, the
   * default) keeps *active* answers that long (never past the token's
   * `exp`; at most `cacheSize` tokens, by their SHA-256): a token revoked
   * at the authorization server is still accepted here for up to that long.
   * @param {ResourceGuard} guard @param {string} introspectionUrl
   * @param {string} clientId this resource server's client id @param {string} clientSecret
   * @param {{timeoutMs?: number, log?: (message: string) => void, poolSize?: number,
   *   cacheSeconds?: number, cacheSize?: number, clock?: () => number}} [options] `log` receives why an
   *   introspection failed (default: `console.error`); no token or secret is in it. `clock`: seconds
   *   since the epoch (tests)
   */
  constructor(guard, introspectionUrl, clientId, clientSecret, options = {}) {
    this.guard = guard
    this.introspectionUrl = str(introspectionUrl, 'introspectionUrl')
    const url = new URL(this.introspectionUrl)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`introspectionUrl must be an http or https URL, not ${JSON.stringify(this.introspectionUrl)}`)
    }
    this.#url = url
    this.timeoutMs = options.timeoutMs ?? 5000
    this.cacheSeconds = options.cacheSeconds ?? 0
    this.#cacheSize = options.cacheSize ?? 10000
    const poolSize = options.poolSize ?? 8
    if (!(this.timeoutMs > 0) || !(poolSize >= 0) || !(this.cacheSeconds >= 0) || !(this.#cacheSize >= 1)) {
      throw new RangeError('timeoutMs must be above 0, poolSize and cacheSeconds at least 0, cacheSize at least 1')
    }
    this.#clock = options.clock ?? (() => Date.now() / 1000)
    /** @type {(message: string) => void} */
    this.log = options.log ?? ((message) => console.error(`ropc: ${message}`))
    this.#client = [str(clientId, 'clientId'), str(clientSecret, 'clientSecret')]
    const Agent = url.protocol === 'https:' ? https.Agent : http.Agent
    // As in Python: at most poolSize idle connections are kept (0: none,
    // each closed after use); requests beyond them open their own.
    this.#agent = new Agent({ keepAlive: poolSize > 0, maxFreeSockets: Math.max(poolSize, 1) })
  }

  /** @type {[string, string]} */
  #client
  /** @type {URL} */
  #url
  /** @type {http.Agent} */
  #agent
  /** @type {Map<string, {until: number, body: string}>} */
  #cache = new Map()
  /** @type {number} */
  #cacheSize
  /** @type {() => number} */
  #clock

  /** Closes the kept-alive connections (a process that ends need not). */
  close() {
    this.#agent.destroy()
  }

  /**
   * POSTs the token to the introspection endpoint; its JSON body. Anything
   * but a 200 (a wrong resource-server secret, a wrong URL, the authorization
   * server's own 503) is IntrospectionUnavailable, never an inactive token:
   * the end user's token is not in question.
   * @param {string} token @returns {Promise<string>}
   */
  async introspect(token) {
    const key = this.cacheSeconds > 0 ? crypto.createHash('sha256').update(token).digest('base64') : ''
    if (key) {
      const hit = this.#cache.get(key)
      if (hit && this.#clock() < hit.until) {
        this.#cache.delete(key) // most recently used last
        this.#cache.set(key, hit)
        return hit.body
      }
    }
    const call = this.guard.introspectionRequest(token, ...this.#client)
    /** @type {{status: number, text: string}} */
    let res
    try {
      res = await this.#post(call)
    } catch (e) {
      throw this.#unavailable(`failed: ${/** @type {Error} */ (e).message}`)
    }
    if (res.status !== 200) throw this.#unavailable(`answered HTTP ${res.status}`)
    if (key) this.#remember(key, res.text)
    return res.text
  }

  /**
   * One POST on a kept-alive connection (node:http's Agent retries none: a
   * connection closed while idle is replaced by the agent before use, and
   * a request that fails on one is tried once more on a fresh one).
   * @param {{contentType: string, authorization: string, body: string}} call
   * @returns {Promise<{status: number, text: string}>}
   */
  #post(call) {
    const mod = this.#url.protocol === 'https:' ? https : http
    const attempt = (/** @type {boolean} */ again) =>
      /** @type {Promise<{status: number, text: string}>} */ (
        new Promise((resolve, reject) => {
          const req = mod.request(
            this.#url,
            {
              method: 'POST',
              agent: this.#agent,
              headers: { 'Content-Type': call.contentType, Authorization: call.authorization, 'Content-Length': Buffer.byteLength(call.body) },
              timeout: this.timeoutMs,
            },
            (res) => {
              const chunks = /** @type {Buffer[]} */ ([])
              res.on('data', (c) => chunks.push(c))
              res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }))
              res.on('error', reject)
            },
          )
          req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)))
          req.on('error', (e) => {
            // A kept-alive connection the server closed: once more, fresh.
            const code = /** @type {NodeJS.ErrnoException} */ (e).code
            if (!again && req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE')) {
              attempt(true).then(resolve, reject)
            } else {
              reject(e)
            }
          })
          req.end(call.body)
        })
      )
    return attempt(false)
  }

  /** Keeps an answer as long as the core's policy says (ResourceGuard#cacheUntil). @param {string} key @param {string} body */
  #remember(key, body) {
    const until = this.guard.cacheUntil(body, this.#clock(), this.cacheSeconds)
    if (until === null) return
    this.#cache.delete(key)
    this.#cache.set(key, { until, body })
    while (this.#cache.size > this.#cacheSize) {
      const oldest = this.#cache.keys().next().value
      if (oldest === undefined) break
      this.#cache.delete(oldest)
    }
  }

  /** The error for an introspection that could not be had, logged. @param {string} what */
  #unavailable(what) {
    const cause = `introspection at ${this.introspectionUrl} ${what}`
    this.log(cause)
    return new IntrospectionUnavailable(this.guard.unavailable(), cause)
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

  /**
   * {@link IntrospectionChecker#checkRequest}, or for `Authorization: DPoP` (RFC 9449) the token
   * introspected and its proof (`dpop`, for `method` and the absolute `uri`) checked here against
   * the answer's `cnf.jkt`. `protect` calls it.
   * @param {string | null | undefined} authorization @param {string | null | undefined} dpop
   * @param {string} method @param {string} uri @param {string} resource @param {string | null} [scope]
   * @returns {Promise<Principal>}
   */
  async checkWithProof(authorization, dpop, method, uri, resource, scope) {
    const token = this.guard.dpopToken(authorization)
    if (token === null) return this.checkRequest(authorization, resource, scope)
    return this.guard.checkIntrospectionWithProof(await this.introspect(token), token, dpop, method, uri, resource, scope)
  }
}

/** The longest key-set response read. */
const MAX_KEY_SET_BYTES = 256 * 1024

/**
 * Checks JWT access tokens offline with the key set at `jwksUrl`, like
 * Python's `JwtChecker`: the signature by the token's `kid`, `typ` `at+jwt`,
 * EdDSA or ES256 only, `iss` and `aud` (the guard's `issuer` and `audience`),
 * `exp` with 30 s of leeway, then the same scope and owner rules and answers
 * as {@link Server#checkRequest}. The key set is fetched when first needed
 * and kept `maxAgeSeconds` (600; less when its `Cache-Control` says so); a
 * token naming a key the set lacks fetches it again at once, at most once
 * every `minRefetchSeconds` (30). When the set cannot be had, checks throw
 * {@link IntrospectionUnavailable} (503), never a verdict on a token.
 *
 * A JWT cannot be recalled: one whose grant was revoked passes here until it
 * expires. Tokens that are not JWTs go to `introspection` (an
 * {@link IntrospectionChecker}) when given, else are invalid; a route that
 * must see revocations at once is protected with the IntrospectionChecker.
 */
class JwtChecker {
  /**
   * @param {ResourceGuard} guard @param {string} jwksUrl
   * @param {{introspection?: IntrospectionChecker, maxAgeSeconds?: number, minRefetchSeconds?: number,
   *   timeoutMs?: number, clock?: () => number, log?: (message: string) => void}} [options]
   */
  constructor(guard, jwksUrl, options = {}) {
    if (!(guard instanceof ResourceGuard)) throw new TypeError('guard must be a ropc.ResourceGuard')
    this.guard = guard
    this.jwksUrl = str(jwksUrl, 'jwksUrl')
    const url = new URL(this.jwksUrl)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`jwksUrl must be an http or https URL, not ${JSON.stringify(this.jwksUrl)}`)
    }
    this.#url = url
    this.introspection = options.introspection ?? null
    this.timeoutMs = options.timeoutMs ?? 5000
    if (!(this.timeoutMs > 0)) throw new RangeError('timeoutMs must be above 0')
    try {
      this.#cache = native.createKeySetCache(options.maxAgeSeconds ?? 600, options.minRefetchSeconds ?? 30)
    } catch (e) {
      throw new RangeError(/** @type {Error} */ (e).message)
    }
    this.#clock = options.clock ?? (() => Date.now() / 1000)
    /** @type {(message: string) => void} */
    this.log = options.log ?? ((message) => console.error(`ropc: ${message}`))
  }

  /** @type {URL} */
  #url
  /** @type {import('./native-api.js').NativeKeySetCache} */
  #cache
  /** @type {() => number} */
  #clock
  /** @type {Promise<void> | null} the fetch under way, shared */
  #fetching = null

  /** Key sets read so far. @returns {number} */
  get fetches() {
    return this.#cache.fetches
  }

  /** One GET of the key set, handed to the core's cache (failures are logged, never thrown). */
  #fetch() {
    const mod = this.#url.protocol === 'https:' ? https : http
    return /** @type {Promise<void>} */ (
      new Promise((resolve) => {
        const req = mod.get(this.#url, { headers: { Accept: 'application/json' }, timeout: this.timeoutMs }, (res) => {
          const chunks = /** @type {Buffer[]} */ ([])
          let size = 0
          res.on('data', (c) => {
            size += c.length
            if (size > MAX_KEY_SET_BYTES) res.destroy(new Error(`a key set over ${MAX_KEY_SET_BYTES} bytes`))
            else chunks.push(c)
          })
          res.on('end', () => {
            const cc = res.headers['cache-control']
            const why = this.#cache.fetched(res.statusCode ?? 0, Buffer.concat(chunks), cc ?? null, this.#clock())
            if (why !== null) this.log(`the key set at ${this.jwksUrl} ${why}`)
            resolve()
          })
          res.on('error', (e) => {
            this.log(`the key set at ${this.jwksUrl} could not be fetched: ${e.message}`)
            resolve()
          })
        })
        req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)))
        req.on('error', (e) => {
          this.log(`the key set at ${this.jwksUrl} could not be fetched: ${e.message}`)
          resolve()
        })
      })
    )
  }

  /**
   * The keys to check `token` with, fetched first when the core says so; null: not a JWT.
   * @param {string} token @returns {Promise<import('./native-api.js').NativeKeySet | null>}
   */
  async #keys(token) {
    let [what, keys] = this.#cache.plan(token, this.#clock(), true)
    if (what === 'fetch') {
      this.#fetching ??= this.#fetch().finally(() => {
        this.#fetching = null
      })
      await this.#fetching
      ;[what, keys] = this.#cache.plan(token, this.#clock(), false)
    } else if (what === 'unavailable' && this.#fetching) {
      // Another check's fetch is under way: wait for it rather than refuse.
      await this.#fetching
      ;[what, keys] = this.#cache.plan(token, this.#clock(), false)
    }
    if (what === 'not_jwt') return null
    if (what !== 'use' || keys === null) {
      const cause = `the key set at ${this.jwksUrl} could not be had`
      this.log(cause)
      throw new IntrospectionUnavailable(this.guard.unavailable(), cause)
    }
    return keys
  }

  /**
   * Like {@link Server#checkRequest}, asynchronously.
   * @param {string | null | undefined} authorization @param {string} resource @param {string | null} [scope]
   * @returns {Promise<import('./args.js').Principal>}
   */
  async checkRequest(authorization, resource, scope) {
    const token = this.guard.bearerToken(authorization)
    const keys = await this.#keys(token)
    if (keys === null && this.introspection) return this.introspection.checkRequest(authorization, resource, scope)
    return principalOf(
      call(() =>
        this.guard.nativeGuard.checkJwtRequest(optStr(authorization, 'authorization'), keys ?? EMPTY.native, str(resource, 'resource'), optStr(scope, 'scope')),
      ),
    )
  }

  /**
   * {@link JwtChecker#checkRequest}, or for `Authorization: DPoP` (RFC 9449) the JWT checked
   * offline with its proof (`dpop`, for `method` and the absolute `uri`) of the key its `cnf.jkt`
   * names; an opaque one goes to `introspection`. `protect` calls it.
   * @param {string | null | undefined} authorization @param {string | null | undefined} dpop
   * @param {string} method @param {string} uri @param {string} resource @param {string | null} [scope]
   * @returns {Promise<import('./args.js').Principal>}
   */
  async checkWithProof(authorization, dpop, method, uri, resource, scope) {
    const token = this.guard.dpopToken(authorization)
    if (token === null) return this.checkRequest(authorization, resource, scope)
    const keys = await this.#keys(token)
    if (keys === null && this.introspection) return this.introspection.checkWithProof(authorization, dpop, method, uri, resource, scope)
    return principalOf(
      call(() =>
        this.guard.nativeGuard.checkJwtWithProof(token, keys ?? EMPTY.native, optStr(dpop, 'dpop'), str(method, 'method'), str(uri, 'uri'), str(resource, 'resource'), optStr(scope, 'scope')),
      ),
    )
  }
}

/** The key set of no keys: an opaque token checked as a JWT is invalid_token. */
const EMPTY = new KeySet('{"keys": []}')

module.exports = { IntrospectionChecker, JwtChecker }
