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
const { ResourceGuard, KeySet, resourceName } = require('./guard.js')
const { IntrospectionChecker, JwtChecker } = require('./remote.js')
const { hashPassword, hashPasswordSync, generateClientSecret, hashClientSecret } = require('./secrets.js')
const { tokenHandler, protect, reloadOnSighup } = require('./glue.js')

/** @typedef {import('./errors.js').HttpResponse} HttpResponse */
/** @typedef {import('./args.js').TokenResponse} TokenResponse */
/** @typedef {import('./args.js').Principal} Principal */
/** @typedef {import('./args.js').Headers} Headers */
/** @typedef {import('./args.js').Body} Body */
/** @typedef {import('./callbacks.js').Owner} Owner */
/** @typedef {import('./callbacks.js').Accounts} Accounts */
/** @typedef {import('./callbacks.js').Authorize} Authorize */

// Named exports one by one (not one object literal), so that the generated
// declarations export each class as a value and a type: `ropc.Server` and
// `import { Server } from 'ropc'` both name the class in TypeScript.
exports.Server = Server
exports.ResourceGuard = ResourceGuard
exports.KeySet = KeySet
exports.IntrospectionChecker = IntrospectionChecker
exports.JwtChecker = JwtChecker
exports.IntrospectionUnavailable = IntrospectionUnavailable
exports.OAuthError = OAuthError
exports.ConfigError = ConfigError
exports.AccountError = AccountError
exports.hashPassword = hashPassword
exports.hashPasswordSync = hashPasswordSync
exports.generateClientSecret = generateClientSecret
exports.hashClientSecret = hashClientSecret
exports.checkAccounts = checkAccounts
exports.resourceName = resourceName
exports.headerOf = headerOf
exports.tokenHandler = tokenHandler
exports.protect = protect
exports.reloadOnSighup = reloadOnSighup
/** The package's version. */
exports.version = /** @type {string} */ (native.version())
exports.MAX_BODY_BYTES = MAX_BODY_BYTES
/** Where RFC 8414 puts the authorization server's metadata. */
exports.METADATA_PATH = '/.well-known/oauth-authorization-server'
