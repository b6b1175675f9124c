'use strict'
/** @typedef {import('./errors.js').HttpResponse} HttpResponse */
/**
 * Glue for `node:http` and Express (no framework is a dependency): a request
 * handler for the token, introspection and revocation endpoints, and a
 * middleware that protects a route.
 * @module ropc/glue
 */

const { OAuthError } = require('./errors.js')
const { MAX_BODY_BYTES } = require('./args.js')
const { resourceName } = require('./guard.js')

/**
 * @typedef {import('node:http').IncomingMessage & {body?: unknown, path?: string, principal?: import('./args.js').Principal}} Request
 * @typedef {import('node:http').ServerResponse} Response
 * @typedef {(err?: unknown) => void} Next
 */

/** A body parser (`express.urlencoded()`, `express.json()`) ran before ropc: the raw body is gone. */
class BodyAlreadyParsed extends Error {
  constructor() {
    super('the body was already parsed: mount ropc before body parsers, or use express.raw()')
  }
}

/** @param {Request} req @param {number} limit @returns {Promise<Buffer>} */
function readBody(req, limit) {
  if (Buffer.isBuffer(req.body)) return Promise.resolve(req.body)
  if (typeof req.body === 'string') return Promise.resolve(Buffer.from(req.body))
  if (req.body !== undefined && req.body !== null && !req.readable) return Promise.reject(new BodyAlreadyParsed())
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = []
    let size = 0
    req.on('data', (chunk) => {
      if (size <= limit) chunks.push(chunk) // keep one byte past the limit; the core refuses it
      size += chunk.length
    })
    req.on('end', () => resolve(Buffer.concat(chunks).subarray(0, limit + 1)))
    req.on('error', reject)
  })
}

/** @param {Response} res @param {number} status @param {Array<[string, string]>} headers @param {Buffer | string} body */
function send(res, status, headers, body) {
  // The list as it is (a name may repeat), flattened as writeHead takes it.
  res.writeHead(status, [...headers, ['Content-Length', String(Buffer.byteLength(body))]].flat())
  res.end(body)
}

/**
 * The request's Content-Type and Authorization headers as pairs, every copy
 * kept: Node's `req.headers` keeps only the first Authorization header, and
 * two of them must be refused (the core does, seeing them joined).
 * @param {Request} req @returns {Array<[string, string]>}
 */
function headerPairs(req) {
  /** @type {Array<[string, string]>} */
  const pairs = []
  const raw = req.rawHeaders ?? []
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase()
    if (name === 'authorization' || name === 'content-type' || name === 'dpop') pairs.push([name, raw[i + 1]])
  }
  if (raw.length === 0) {
    for (const name of ['authorization', 'content-type', 'dpop']) {
      const v = req.headers[name]
      if (typeof v === 'string') pairs.push([name, v])
    }
  }
  return pairs
}

/** Every Authorization header of a request, joined. @param {Request} req @returns {string | undefined} */
function authorizationOf(req) {
  const values = headerPairs(req).filter(([n]) => n === 'authorization').map(([, v]) => v)
  return values.length ? values.join(', ') : undefined
}

/** Every DPoP header of a request, joined (two proofs read as none). @param {Request} req @returns {string | undefined} */
function dpopOf(req) {
  const values = headerPairs(req).filter(([n]) => n === 'dpop').map(([, v]) => v)
  return values.length ? values.join(', ') : undefined
}

/**
 * The absolute URI a request reached (scheme, host, raw target: what a DPoP proof's `htu`
 * names, RFC 9449 §4.3): https when the connection is TLS, the Host header.
 * @param {Request} req @param {string} target @returns {string}
 */
function uriOf(req, target) {
  const tls = /** @type {any} */ (req.socket)?.encrypted === true
  return `${tls ? 'https' : 'http'}://${req.headers?.host ?? 'localhost'}${target}`
}

/** @param {Request} req @returns {string} */
function pathOf(req) {
  return req.path ?? new URL(req.url ?? '/', 'http://localhost').pathname
}

/**
 * A handler `(req, res, next?)` answering the three endpoints at their
 * paths; anything else goes to `next()` (or gets 404 without one).
 * @param {import('./server.js').Server} server
 * @param {{tokenPath?: string, introspectionPath?: string, revocationPath?: string, jwksPath?: string, forwardAuthPath?: string}} [paths]
 *   the key set is served at `jwksPath` (`/jwks.json`), the RFC 8414 metadata at its well-known path,
 *   forward-auth for a gateway at `forwardAuthPath` (`/auth`)
 * @param {{log?: (message: string) => void}} [options] `log` receives app mistakes (default `console.error`)
 * @returns {(req: Request, res: Response, next?: Next) => Promise<void>}
 */
function tokenHandler(server, paths = {}, options = {}) {
  const log = options.log ?? ((/** @type {string} */ message) => console.error(`ropc: ${message}`))
  const routes = new Map([
    [paths.tokenPath ?? '/token', server.tokenEndpoint.bind(server)],
    [paths.introspectionPath ?? '/introspect', server.introspectionEndpoint.bind(server)],
    [paths.revocationPath ?? '/revoke', server.revocationEndpoint.bind(server)],
  ])
  /** @type {Map<string, (method: string) => Promise<HttpResponse>>} */
  const gets = new Map([
    [paths.jwksPath ?? '/jwks.json', (/** @type {string} */ m) => server.keySetEndpoint(m)],
    ['/.well-known/oauth-authorization-server', async (/** @type {string} */ m) => server.metadataEndpoint(m)],
  ])
  return async (req, res, next) => {
    const forward = paths.forwardAuthPath ?? '/auth'
    if (pathOf(req) === forward || pathOf(req).startsWith(`${forward}/`)) {
      const resp = await server.forwardAuth(req.headers, req.method ?? 'GET', req.url ?? '/')
      return send(res, resp.status, resp.headers, resp.body)
    }
    const get = gets.get(pathOf(req))
    if (get) {
      const resp = await get(req.method ?? 'GET')
      return send(res, resp.status, resp.headers, resp.body)
    }
    const endpoint = routes.get(pathOf(req))
    if (!endpoint) {
      if (next) return next()
      return send(res, 404, [['Content-Type', 'text/plain']], 'not found')
    }
    try {
      const requestId = req.headers['x-request-id']
      const context = { remoteAddr: req.socket?.remoteAddress ?? null, requestId: typeof requestId === 'string' ? requestId : null }
      const resp = await endpoint(req.method ?? 'GET', headerPairs(req), await readBody(req, MAX_BODY_BYTES), context)
      send(res, resp.status, resp.headers, resp.body)
    } catch (e) {
      if (e instanceof BodyAlreadyParsed) {
        // A mistake in the app, not the client's: logged with its fix, and
        // answered as RFC 6749 says a server failure is (500 server_error),
        // not with a framework's HTML page.
        log(e.message)
        const resp = server.errorResponse('server_error', 'the server could not read the request')
        return send(res, resp.status, resp.headers, resp.body)
      }
      if (next) return next(e)
      send(res, 500, [['Content-Type', 'text/plain']], 'internal error')
    }
  }
}

/**
 * A middleware `(req, res, next)`: the request must carry a bearer token that
 * `checker` (a Server, an IntrospectionChecker or a JwtChecker; a Server also takes a
 * DPoP-bound token with its proof, RFC 9449) accepts for `resource`
 * (default: the request's resource name by ropc's one rule, `resourceName`,
 * from the raw request target: a target a backend could read two ways gets
 * 400) and `scope`. Sets `req.principal`.
 * @param {{checkRequest: (authorization: string | null | undefined, resource: string, scope?: string | null) => import('./args.js').Principal | Promise<import('./args.js').Principal>}} checker
 * @param {{resource?: string, scope?: string}} [options]
 * @returns {(req: Request, res: Response, next: Next) => Promise<void>}
 */
function protect(checker, options = {}) {
  const c = /** @type {any} */ (checker)
  const realm = c.realm ?? c.guard?.realm ?? 'ropc'
  return async (req, res, next) => {
    try {
      // Express rewrites req.url under a mount point; originalUrl is the raw target.
      const target = /** @type {any} */ (req).originalUrl ?? req.url ?? '/'
      const resource = options.resource ?? resourceName(req.method ?? 'GET', target, realm)
      const c = /** @type {any} */ (checker)
      req.principal =
        typeof c.checkWithProof === 'function'
          ? await c.checkWithProof(authorizationOf(req), dpopOf(req), req.method ?? 'GET', uriOf(req, target), resource, options.scope ?? null)
          : await checker.checkRequest(authorizationOf(req), resource, options.scope ?? null)
    } catch (e) {
      // An IntrospectionUnavailable is one: 503 as a store outage answers.
      if (e instanceof OAuthError) return send(res, e.status, e.headers, e.body)
      return next(e)
    }
    next()
  }
}

/**
 * Reloads `target` (a `Server` or a `ResourceGuard`) from the configuration
 * file at `path` on every SIGHUP, without dropping a token. A file that does
 * not load leaves the running configuration be; both outcomes are logged.
 * @param {{reloadFile(path: string): unknown}} target
 * @param {string} path
 * @param {(message: string) => void} [log] default: `console.error` with a `ropc: ` prefix
 * @returns {() => void} removes the handler
 */
function reloadOnSighup(target, path, log = (message) => console.error(`ropc: ${message}`)) {
  const handler = () => {
    Promise.resolve()
      // The core reads the file (strict UTF-8: a file cut inside a
      // character, as an editor mid-write leaves it, is refused).
      .then(() => target.reloadFile(path))
      .then(
        () => log('configuration reloaded'),
        (/** @type {any} */ e) => log(`reload refused, the running configuration stays: ${e && e.message ? e.message : String(e)}`),
      )
  }
  process.on('SIGHUP', handler)
  return () => process.off('SIGHUP', handler)
}

module.exports = { tokenHandler, protect, reloadOnSighup }
