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

// The package's entry: each job lives in a module of its own (errors.js,
// args.js, callbacks.js, server.js, guard.js, remote.js, secrets.js,
// glue.js), none requiring this one.

const native = require('./native.js')
const { headerOf, OAuthError, ConfigError, AccountError, IntrospectionUnavailable } = require('./errors.js')
const { MAX_BODY_BYTES } = require('./args.js')
const { checkAccounts } = require('./callbacks.js')
const { Server } = require('./server.js')
const { ResourceGuard, resourceName } = require('./guard.js')
const { IntrospectionChecker } = require('./remote.js')
const { hashPassword, hashPasswordSync, generateClientSecret, hashClientSecret } = require('./secrets.js')
const glue = require('./glue.js')

/** @typedef {import('./errors.js').HttpResponse} HttpResponse */
/** @typedef {import('./args.js').TokenResponse} TokenResponse */
/** @typedef {import('./args.js').Principal} Principal */
/** @typedef {import('./args.js').Headers} Headers */
/** @typedef {import('./args.js').Body} Body */
/** @typedef {import('./callbacks.js').Owner} Owner */
/** @typedef {import('./callbacks.js').Accounts} Accounts */
/** @typedef {import('./callbacks.js').Authorize} Authorize */

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
  ...glue,
}
