'use strict'
// Argument checks and conversions between JS values and the native side (one place for each rule).
const native = require('./native.js')

/** @type {number} */
const MAX_BODY_BYTES = native.maxBodyBytes()

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
 * A principal packed by the native side (see `packed_principal` in src/lib.rs): username,
 * client id, scopes (space-separated), groups (U+0001-separated), each ended by a NUL, then
 * the expiry. Read with indexOf and slice: `split` goes through V8's runtime and costs more
 * than the check.
 * @param {string} r
 * @returns {Principal}
 */
function principalOf(r) {
  const a = r.indexOf('\0')
  const b = r.indexOf('\0', a + 1)
  const c = r.indexOf('\0', b + 1)
  const d = r.indexOf('\0', c + 1)
  return {
    username: r.slice(0, a),
    clientId: r.slice(a + 1, b),
    scopes: list(r, b + 1, c, ' '),
    groups: list(r, c + 1, d, '\u0001'),
    expiresAt: Number(r.slice(d + 1)),
  }
}

/** The items of `r` from `from` to `to`, separated by `sep` (none when empty). @param {string} r @param {number} from @param {number} to @param {string} sep @returns {string[]} */
function list(r, from, to, sep) {
  /** @type {string[]} */
  const out = []
  if (from === to) return out
  for (let at = r.indexOf(sep, from); at >= 0 && at < to; at = r.indexOf(sep, from)) {
    out.push(r.slice(from, at))
    from = at + 1
  }
  out.push(r.slice(from, to))
  return out
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

/** @param {Headers} headers @returns {{contentType: string | null, authorization: string | null, dpop: string | null}} */
function findHeaders(headers) {
  /** @type {{contentType: string | null, authorization: string | null, dpop: string | null}} */
  const found = { contentType: null, authorization: null, dpop: null }
  if (headers === null || headers === undefined) return found
  if (typeof headers !== 'object') throw new TypeError('headers must be an object, a Map or [name, value] pairs')
  const pairs = headers instanceof Map || Array.isArray(headers) ? headers : Object.entries(headers)
  for (const pair of pairs) {
    if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError('headers must be [name, value] pairs')
    const [name, value] = pair
    if (value === undefined) continue
    const key = String(name).toLowerCase()
    const slot = key === 'content-type' ? 'contentType' : key === 'authorization' ? 'authorization' : key === 'dpop' ? 'dpop' : null
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

/** The headers forward-auth reads (the core's list, lower case). */
const FORWARDED = new Set(native.forwardedHeaders())

/**
 * The headers forward-auth reads, as `[name, value, ...]` for the native side (a header that
 * came twice is joined, as for the endpoints).
 * @param {unknown} headers @returns {string[]}
 */
function forwardedArgs(headers) {
  if (headers === null || headers === undefined) return []
  if (typeof headers !== 'object') throw new TypeError('headers must be an object, a Map or [name, value] pairs')
  const h = /** @type {any} */ (headers)
  const pairs = h instanceof Map || Array.isArray(h) ? h : Object.entries(h)
  /** @type {Map<string, string>} */
  const found = new Map()
  for (const pair of pairs) {
    if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError('headers must be [name, value] pairs')
    const [name, value] = pair
    const key = String(name).toLowerCase()
    if (value === undefined || !FORWARDED.has(key)) continue
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v !== 'string') throw new TypeError(`the ${name} header must be a string`)
      const before = found.get(key)
      found.set(key, before === undefined ? v : `${before}, ${v}`)
    }
  }
  return [...found].flat()
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

/**
 * An endpoint request's arguments as the native side takes them.
 * @param {unknown} method @param {unknown} headers @param {unknown} body
 * @returns {[method: string, contentType: string | null, authorization: string | null, body: Buffer, dpop: string | null]}
 */
function endpointArgs(method, headers, body) {
  const h = findHeaders(/** @type {Headers} */ (headers))
  return [str(method, 'method'), h.contentType, h.authorization, toBuffer(/** @type {Body} */ (body)), h.dpop]
}

/** @param {import('./native-api.js').NativeTokens} t @returns {TokenResponse} */
function toTokens(t) {
  return { accessToken: t.accessToken, tokenType: t.tokenType, expiresIn: t.expiresIn, refreshToken: t.refreshToken ?? null, scope: t.scope }
}

module.exports = { MAX_BODY_BYTES, principalOf, str, optStr, configJson, findHeaders, forwardedArgs, toBuffer, endpointArgs, toTokens }
