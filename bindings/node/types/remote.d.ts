export type Server = import("./server.js").Server;
export type Principal = import("./args.js").Principal;
/** @typedef {import('./server.js').Server} Server */
/** @typedef {import('./args.js').Principal} Principal */
/** A resource server in another process: asks the introspection endpoint, then decides with a guard. */
export class IntrospectionChecker {
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
    constructor(guard: ResourceGuard, introspectionUrl: string, clientId: string, clientSecret: string, options?: {
        timeoutMs?: number;
        log?: (message: string) => void;
        poolSize?: number;
        cacheSeconds?: number;
        cacheSize?: number;
        clock?: () => number;
    });
    guard: ResourceGuard;
    introspectionUrl: string;
    timeoutMs: number;
    cacheSeconds: number;
    /** @type {(message: string) => void} */
    log: (message: string) => void;
    /** Closes the kept-alive connections (a process that ends need not). */
    close(): void;
    /**
     * POSTs the token to the introspection endpoint; its JSON body. Anything
     * but a 200 (a wrong resource-server secret, a wrong URL, the authorization
     * server's own 503) is IntrospectionUnavailable, never an inactive token:
     * the end user's token is not in question.
     * @param {string} token @returns {Promise<string>}
     */
    introspect(token: string): Promise<string>;
    /**
     * Like {@link Server#checkRequest}, asynchronously.
     * @param {string | null | undefined} authorization @param {string} resource @param {string | null} [scope]
     * @returns {Promise<Principal>}
     */
    checkRequest(authorization: string | null | undefined, resource: string, scope?: string | null): Promise<Principal>;
    /**
     * {@link IntrospectionChecker#checkRequest}, or for `Authorization: DPoP` (RFC 9449) the token
     * introspected and its proof (`dpop`, for `method` and the absolute `uri`) checked here against
     * the answer's `cnf.jkt`. `protect` calls it.
     * @param {string | null | undefined} authorization @param {string | null | undefined} dpop
     * @param {string} method @param {string} uri @param {string} resource @param {string | null} [scope]
     * @returns {Promise<Principal>}
     */
    checkWithProof(authorization: string | null | undefined, dpop: string | null | undefined, method: string, uri: string, resource: string, scope?: string | null): Promise<Principal>;
    #private;
}
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
export class JwtChecker {
    /**
     * @param {ResourceGuard} guard @param {string} jwksUrl
     * @param {{introspection?: IntrospectionChecker, maxAgeSeconds?: number, minRefetchSeconds?: number,
     *   timeoutMs?: number, clock?: () => number, log?: (message: string) => void}} [options]
     */
    constructor(guard: ResourceGuard, jwksUrl: string, options?: {
        introspection?: IntrospectionChecker;
        maxAgeSeconds?: number;
        minRefetchSeconds?: number;
        timeoutMs?: number;
        clock?: () => number;
        log?: (message: string) => void;
    });
    guard: ResourceGuard;
    jwksUrl: string;
    introspection: IntrospectionChecker | null;
    timeoutMs: number;
    /** @type {(message: string) => void} */
    log: (message: string) => void;
    /** Key sets read so far. @returns {number} */
    get fetches(): number;
    /**
     * Like {@link Server#checkRequest}, asynchronously.
     * @param {string | null | undefined} authorization @param {string} resource @param {string | null} [scope]
     * @returns {Promise<import('./args.js').Principal>}
     */
    checkRequest(authorization: string | null | undefined, resource: string, scope?: string | null): Promise<import("./args.js").Principal>;
    /**
     * {@link JwtChecker#checkRequest}, or for `Authorization: DPoP` (RFC 9449) the JWT checked
     * offline with its proof (`dpop`, for `method` and the absolute `uri`) of the key its `cnf.jkt`
     * names; an opaque one goes to `introspection`. `protect` calls it.
     * @param {string | null | undefined} authorization @param {string | null | undefined} dpop
     * @param {string} method @param {string} uri @param {string} resource @param {string | null} [scope]
     * @returns {Promise<import('./args.js').Principal>}
     */
    checkWithProof(authorization: string | null | undefined, dpop: string | null | undefined, method: string, uri: string, resource: string, scope?: string | null): Promise<import("./args.js").Principal>;
    #private;
}
import { ResourceGuard } from "./guard.js";
