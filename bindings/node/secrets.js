'use strict'
// Password hashes and client secrets.
const native = require('./native.js')
const { str } = require('./args.js')
const { call, settle } = require('./errors.js')

/**
 * argon2id PHC hash of a password (OWASP's parameters by default), on the libuv pool.
 * @param {string} password @param {{mCost?: number, tCost?: number, pCost?: number}} [params]
 * @returns {Promise<string>}
 */
async function hashPassword(password, params = {}) {
  const { mCost, tCost, pCost } = params // undefined: the core's default (OWASP's)
  return settle(call(() => native.hashPassword(str(password, 'password'), mCost, tCost, pCost, false)))
}

/**
 * The same on the calling thread, blocking it (for scripts: never on a server's event loop).
 * @param {string} password @param {{mCost?: number, tCost?: number, pCost?: number}} [params]
 * @returns {string}
 */
function hashPasswordSync(password, params = {}) {
  const { mCost, tCost, pCost } = params // undefined: the core's default (OWASP's)
  return /** @type {string} */ (call(() => native.hashPassword(str(password, 'password'), mCost, tCost, pCost, true)))
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

module.exports = { hashPassword, hashPasswordSync, generateClientSecret, hashClientSecret }
