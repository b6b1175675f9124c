'use strict'
// Host callbacks (accounts, authorize): the one dispatcher the native side calls, and the conformance suite's entry.
const native = require('./native.js')
/** @typedef {import('./args.js').Principal} Principal */

/**
 * A resource owner as `accounts.verify` / `accounts.lookup` describe it.
 * @typedef {object} Owner
 * @property {string[]} [groups] default none
 * @property {boolean} [enabled] default true
 * @property {number} [credentialVersion] a number the host changes whenever the owner's
 *   credentials change (a counter, the time of the last password change): a new one ends
 *   the owner's older tokens, in every process sharing the store
 * @property {string} [name] from `verify`: the account's own name, when the host matches names
 *   loosely (any case or spacing, sign-in by e-mail): tokens are issued to it, one subject
 *   however the name was typed
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
    if (typeof value === 'object') {
      const name = value.name ?? null
      if (name !== null && typeof name !== 'string') throw new TypeError('name must be a string')
      return { kind: 'verified', ...owner(value), name }
    }
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

module.exports = { callbackAnswer, dispatcher, checkAccounts }
