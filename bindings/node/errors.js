'use strict'
// Refusals and responses: the errors every call may throw, and the ready HTTP response a refusal carries.

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
    const resp = info.response
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
  /**
   * @param {{path: string, message: string, text: string, textWithoutPosition?: string,
   *   line?: number | null, column?: number | null, file?: string | null}} failure
   * @param {unknown} [given] the configuration as the caller gave it: for an object, whose
   *   JSON ropc wrote, a line and column would point into text the caller never saw
   */
  constructor(failure, given) {
    const written = given !== undefined && typeof given !== 'string'
    super(written && failure.textWithoutPosition ? failure.textWithoutPosition : failure.text)
    this.name = 'ConfigError'
    /** @type {string} */
    this.code = 'ERR_ROPC_CONFIG'
    /** @type {string} where in the document (`clients[0].scopes`; empty for the whole of it) */
    this.path = failure.path
    /** @type {string} what is wrong */
    this.detail = failure.message
    /** @type {number | null} the line in the JSON text given, when known */
    this.line = written ? null : failure.line ?? null
    /** @type {number | null} the column in the JSON text given, when known */
    this.column = written ? null : failure.column ?? null
    /** @type {string | null} the configuration file (`Server.fromFile`) */
    this.file = failure.file ?? null
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

/**
 * The authorization server could not be asked: an {@link OAuthError} with
 * `code` `temporarily_unavailable` whose response is the one a store outage
 * gets (503 JSON with `Retry-After`), never a verdict on the token.
 * `cause` says what failed (it is logged, never sent).
 */
class IntrospectionUnavailable extends OAuthError {
  /** @param {OAuthError} refusal the guard's `unavailable()` @param {string} cause */
  constructor(refusal, cause) {
    super({ code: refusal.code, description: refusal.description, response: refusal })
    this.name = 'IntrospectionUnavailable'
    /** @type {string} */
    this.cause = cause
  }
}

/**
 * A response packed by the native side (`response` in src/lib.rs): the
 * status, the number of headers, each header's name and value, each of
 * these ending in a NUL, then the body.
 * @param {string} packed @returns {HttpResponse}
 */
function toResponse(packed) {
  let end = packed.indexOf('\0')
  const status = Number(packed.slice(0, end))
  let start = end + 1
  end = packed.indexOf('\0', start)
  const count = Number(packed.slice(start, end))
  /** @type {Array<[string, string]>} */
  const headers = []
  for (let i = 0; i < count; i++) {
    start = end + 1
    const nameEnd = packed.indexOf('\0', start)
    end = packed.indexOf('\0', nameEnd + 1)
    headers.push([packed.slice(start, nameEnd), packed.slice(nameEnd + 1, end)])
  }
  return { status, headers, body: Buffer.from(packed.slice(end + 1), 'utf8') }
}

/** What starts the message of an error the native side throws for a failure (see src/lib.rs). */
const THROWN = '\u0001ropc:'

/**
 * The one error convention across the crossing: a native call returns its
 * value or throws, and what it throws for a refusal, a bad argument or a
 * bad configuration carries the failure as JSON after `THROWN`, turned here
 * into ropc's error class. Anything else (a TypeError, a panic) passes as it is.
 * @param {unknown} e @param {unknown} [given] the configuration as given (see ConfigError)
 * @returns {unknown}
 */
function typed(e, given) {
  if (!(e instanceof Error) || !e.message.startsWith(THROWN)) return e
  const thrown = JSON.parse(e.message.slice(THROWN.length))
  if (thrown.ropc === 'oauth') {
    return new OAuthError({ ...thrown, response: toResponse(thrown.response) })
  }
  if (thrown.ropc === 'argument') return new AccountError(thrown.message)
  return new ConfigError(thrown, given)
}

/**
 * A synchronous native call, its failure typed.
 * @template T @param {() => T} f @param {unknown} [given] @returns {T}
 */
function call(f, given) {
  try {
    return f()
  } catch (e) {
    throw typed(e, given)
  }
}

/**
 * A native call's outcome, now or a Promise of it (from a pool), its failure typed.
 * @template T @param {T | Promise<T>} promise @param {unknown} [given] @returns {Promise<T>}
 */
async function settle(promise, given) {
  try {
    return await promise
  } catch (e) {
    throw typed(e, given)
  }
}

module.exports = { headerOf, OAuthError, ConfigError, AccountError, IntrospectionUnavailable, toResponse, call, settle }
