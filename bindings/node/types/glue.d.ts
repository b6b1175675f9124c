export type Request = import("node:http").IncomingMessage & {
    body?: unknown;
    path?: string;
    principal?: import("./index.js").Principal;
};
export type Response = import("node:http").ServerResponse;
export type Next = (err?: unknown) => void;
/**
 * A handler `(req, res, next?)` answering the three endpoints at their
 * paths; anything else goes to `next()` (or gets 404 without one).
 * @param {import('./index.js').Server} server
 * @param {{tokenPath?: string, introspectionPath?: string, revocationPath?: string}} [paths]
 * @returns {(req: Request, res: Response, next?: Next) => Promise<void>}
 */
export function tokenHandler(server: {
    reload(config: object | string): Promise<void>;
    forgetOwner(username: string): void;
    accountsStats(): {
        verifyCalls: number;
        lookupCalls: number;
        paced: number;
        failures: number;
        paceTargetUs: number;
    };
    "__#private@#native": any;
    "__#private@#blocking": boolean;
    get callsMayBlock(): boolean;
    "__#private@#offLoop"(clientId: string | null): any;
    get realm(): string;
    tokenEndpoint(method: string, headers: import("./index.js").Headers, body: import("./index.js").Body): Promise<HttpResponse>;
    tokenEndpointSync(method: string, headers: import("./index.js").Headers, body: import("./index.js").Body): HttpResponse;
    introspectionEndpoint(method: string, headers: import("./index.js").Headers, body: import("./index.js").Body): Promise<HttpResponse>;
    introspectionEndpointSync(method: string, headers: import("./index.js").Headers, body: import("./index.js").Body): HttpResponse;
    revocationEndpoint(method: string, headers: import("./index.js").Headers, body: import("./index.js").Body): Promise<HttpResponse>;
    revocationEndpointSync(method: string, headers: import("./index.js").Headers, body: import("./index.js").Body): HttpResponse;
    passwordGrant(clientId: string, clientSecret: string | null, username: string, password: string, scope?: string | null): Promise<TokenResponse>;
    passwordGrantSync(clientId: string, clientSecret: string | null, username: string, password: string, scope?: string | null): TokenResponse;
    refreshGrant(clientId: string, clientSecret: string | null, refreshToken: string, scope?: string | null): Promise<TokenResponse>;
    refreshGrantSync(clientId: string, clientSecret: string | null, refreshToken: string, scope?: string | null): TokenResponse;
    introspect(clientId: string, clientSecret: string | null, token: string, tokenTypeHint?: string | null): Promise<Record<string, unknown>>;
    introspectSync(clientId: string, clientSecret: string | null, token: string, tokenTypeHint?: string | null): Record<string, unknown>;
    revoke(clientId: string, clientSecret: string | null, token: string, tokenTypeHint?: string | null): Promise<void>;
    revokeSync(clientId: string, clientSecret: string | null, token: string, tokenTypeHint?: string | null): void;
    check(accessToken: string, resource: string, scope?: string | null): Promise<Principal>;
    checkSync(accessToken: string, resource: string, scope?: string | null): Principal;
    checkRequest(authorization: string | null | undefined, resource: string, scope?: string | null): Promise<Principal>;
    checkRequestSync(authorization: string | null | undefined, resource: string, scope?: string | null): Principal;
    hashPassword(password: string): Promise<string>;
    hashPasswordSync(password: string): string;
    setUserPasswordHash(username: string, passwordHash: string): Promise<void>;
    setUserPasswordHashSync(username: string, passwordHash: string): void;
    setUserEnabled(username: string, enabled: boolean): Promise<void>;
    setUserEnabledSync(username: string, enabled: boolean): void;
    revokeUserTokens(username: string): Promise<boolean>;
    revokeUserTokensSync(username: string): boolean;
    purgeExpired(): Promise<number>;
    purgeExpiredSync(): number;
    configJson(): string;
}, paths?: {
    tokenPath?: string;
    introspectionPath?: string;
    revocationPath?: string;
}): (req: Request, res: Response, next?: Next) => Promise<void>;
/**
 * A middleware `(req, res, next)`: the request must carry a bearer token that
 * `checker` (a Server, or an IntrospectionChecker) accepts for `resource`
 * (default: the request's resource name by ropc's one rule, `resourceName`,
 * from the raw request target: a target a backend could read two ways gets
 * 400) and `scope`. Sets `req.principal`.
 * @param {{checkRequest: (authorization: string | null | undefined, resource: string, scope?: string | null) => import('./index.js').Principal | Promise<import('./index.js').Principal>}} checker
 * @param {{resource?: string, scope?: string}} [options]
 * @returns {(req: Request, res: Response, next: Next) => Promise<void>}
 */
export function protect(checker: {
    checkRequest: (authorization: string | null | undefined, resource: string, scope?: string | null) => import("./index.js").Principal | Promise<import("./index.js").Principal>;
}, options?: {
    resource?: string;
    scope?: string;
}): (req: Request, res: Response, next: Next) => Promise<void>;
/**
 * Reloads `target` (a `Server` or a `ResourceGuard`) from the configuration
 * file at `path` on every SIGHUP, without dropping a token. A file that does
 * not load leaves the running configuration be; both outcomes are logged.
 * @param {{reload(config: string): unknown}} target
 * @param {string} path
 * @param {(message: string) => void} [log] default: `console.error` with a `ropc: ` prefix
 * @returns {() => void} removes the handler
 */
export function reloadOnSighup(target: {
    reload(config: string): unknown;
}, path: string, log?: (message: string) => void): () => void;
