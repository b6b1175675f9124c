export type HttpResponse = import("./errors.js").HttpResponse;
export type Request = import("node:http").IncomingMessage & {
    body?: unknown;
    path?: string;
    principal?: import("./args.js").Principal;
};
export type Response = import("node:http").ServerResponse;
export type Next = (err?: unknown) => void;
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
export function tokenHandler(server: import("./server.js").Server, paths?: {
    tokenPath?: string;
    introspectionPath?: string;
    revocationPath?: string;
    jwksPath?: string;
    forwardAuthPath?: string;
}, options?: {
    log?: (message: string) => void;
}): (req: Request, res: Response, next?: Next) => Promise<void>;
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
export function protect(checker: {
    checkRequest: (authorization: string | null | undefined, resource: string, scope?: string | null) => import("./args.js").Principal | Promise<import("./args.js").Principal>;
}, options?: {
    resource?: string;
    scope?: string;
}): (req: Request, res: Response, next: Next) => Promise<void>;
/**
 * Reloads `target` (a `Server` or a `ResourceGuard`) from the configuration
 * file at `path` on every SIGHUP, without dropping a token. A file that does
 * not load leaves the running configuration be; both outcomes are logged.
 * @param {{reloadFile(path: string): unknown}} target
 * @param {string} path
 * @param {(message: string) => void} [log] default: `console.error` with a `ropc: ` prefix
 * @returns {() => void} removes the handler
 */
export function reloadOnSighup(target: {
    reloadFile(path: string): unknown;
}, path: string, log?: (message: string) => void): () => void;
