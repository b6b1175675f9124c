export type TokenResponse = import("./args.js").TokenResponse;
export type Principal = import("./args.js").Principal;
export type Headers = import("./args.js").Headers;
export type Body = import("./args.js").Body;
export type HttpResponse = import("./errors.js").HttpResponse;
/**
 * Where a call may run, as the core classifies it.
 */
export type Blocking = "inline" | "cpu" | "waits";
export type Accounts = import("./callbacks.js").Accounts;
export type Authorize = import("./callbacks.js").Authorize;
/**
 * An audit event (the keys that apply): what happened, when, to whom; never a password,
 * secret or token.
 */
export type AuditEvent = {
    kind: string;
    time: number;
    client_id?: string;
    username?: string;
    grant_id?: string;
    remote_addr?: string;
    request_id?: string;
    reason?: string;
    password_hash?: string;
};
/**
 * The request's remote address and id, for its audit events.
 */
export type RequestContext = {
    remoteAddr?: string | null;
    requestId?: string | null;
};
/** An authorization server. Safe to use from many async callers at once. */
export class Server {
    /**
     * A server from a JSON configuration file; `options` as for the constructor.
     * @param {string} path
     * @param {ConstructorParameters<typeof Server>[1]} [options]
     * @returns {Server}
     */
    static fromFile(path: string, options?: ConstructorParameters<typeof Server>[1]): Server;
    /**
     * @param {object | string} config a configuration object or JSON string (see docs/src/configuration.md)
     * @param {{accounts?: Accounts, authorize?: Authorize, log?: (message: string) => void,
     *   events?: (event: AuditEvent) => void}} [options]
     *   `accounts` replaces the configured users with the host's; `authorize` is asked after
     *   the token and scope checks; `log` receives callback failures (default `console.error`).
     *   `events` receives every audit event (on the event loop, after the
     *   request was answered; one that throws is logged); without it, the warnings (refresh
     *   reuse, locks, store errors) go to `log` as `audit: {...}` lines.
     */
    constructor(config: object | string, options?: {
        accounts?: Accounts;
        authorize?: Authorize;
        log?: (message: string) => void;
        events?: (event: AuditEvent) => void;
    });
    /**
     * Swaps in a new configuration without dropping a token (tokens of removed clients
     * and users stop working); callbacks stay. Rejects with a {@link ConfigError}, having
     * changed nothing, when it is invalid or moves the store.
     * @param {object | string} config
     * @returns {Promise<void>}
     */
    reload(config: object | string): Promise<void>;
    /**
     * The same from the configuration file at `path`, read by the core (strict UTF-8: a
     * file cut inside a character is a {@link ConfigError} naming the file).
     * @param {string} path
     * @returns {Promise<void>}
     */
    reloadFile(path: string): Promise<void>;
    /** Drops this process's cached state of an owner (host accounts). @param {string} username */
    forgetOwner(username: string): void;
    /**
     * What the account layer did: host callbacks, owner-cache misses, paced answers, failures.
     * @returns {{verifyCalls: number, lookupCalls: number, paced: number, failures: number, paceTargetUs: number}}
     */
    accountsStats(): {
        verifyCalls: number;
        lookupCalls: number;
        paced: number;
        failures: number;
        paceTargetUs: number;
    };
    /**
     * Where answering this endpoint request may run, as the core classifies it: `'inline'`
     * (microseconds: answered on the event loop), `'cpu'` (argon2: libuv's pool) or `'waits'`
     * (a database or a callback: ropc's waiting threads). Every call here already goes where
     * its class says; this is for glue that schedules work of its own.
     * @param {string} method @param {Headers} headers @param {Body} body
     * @returns {Blocking}
     */
    requestBlocking(method: string, headers: Headers, body: Body): Blocking;
    /**
     * Where a typed call may run (as {@link Server#requestBlocking}): `'as_client'` is a refresh,
     * an introspection or a revocation by `clientId`; `'store'` every other call (the checks,
     * metrics, changes to owners).
     * @param {'password_grant' | 'as_client' | 'store' | 'hash_password'} kind @param {string} [clientId]
     * @returns {Blocking}
     */
    callBlocking(kind: "password_grant" | "as_client" | "store" | "hash_password", clientId?: string): Blocking;
    /** The realm of `WWW-Authenticate` challenges. @returns {string} */
    get realm(): string;
    /**
     * The token endpoint (RFC 6749 §3.2): answered on the event loop when the core classifies the
     * request inline, else where its class belongs. `context` (the request's remote address and
     * id) goes into its audit events.
     * @param {string} method @param {Headers} headers @param {Body} body @param {RequestContext} [context]
     * @returns {Promise<HttpResponse>}
     */
    tokenEndpoint(method: string, headers: Headers, body: Body, context?: RequestContext): Promise<HttpResponse>;
    /**
     * The introspection endpoint (RFC 7662).
     * @param {string} method @param {Headers} headers @param {Body} body @param {RequestContext} [context]
     * @returns {Promise<HttpResponse>}
     */
    introspectionEndpoint(method: string, headers: Headers, body: Body, context?: RequestContext): Promise<HttpResponse>;
    /**
     * The revocation endpoint (RFC 7009).
     * @param {string} method @param {Headers} headers @param {Body} body @param {RequestContext} [context]
     * @returns {Promise<HttpResponse>}
     */
    revocationEndpoint(method: string, headers: Headers, body: Body, context?: RequestContext): Promise<HttpResponse>;
    /**
     * `GET /jwks.json`: the key set resource servers verify JWT access tokens with (404 when the
     * server signs nothing); cacheable, as its `Cache-Control` says. It reads the store.
     * @param {string} method @returns {Promise<HttpResponse>}
     */
    keySetEndpoint(method: string): Promise<HttpResponse>;
    /**
     * Forward-auth: the answer for the request a gateway holds, from the gateway's headers
     * (`Authorization`, and `X-Forwarded-Method`/`X-Forwarded-Uri` from Traefik or
     * `X-Original-Method`/`X-Original-URI` as NGINX is set up to send): 200 with `X-Auth-User`,
     * `X-Auth-Client` and `X-Auth-Scope`, or the RFC 6750 refusal to pass back. Without those
     * headers, a `target` under `/auth` names the held request, with `method` (Envoy's ext_authz).
     * @param {Headers} headers @param {string} [method] @param {string} [target] @returns {Promise<HttpResponse>}
     */
    forwardAuth(headers: Headers, method?: string, target?: string): Promise<HttpResponse>;
    /**
     * `GET /.well-known/oauth-authorization-server`: the RFC 8414 metadata (404 without an issuer).
     * @param {string} method @returns {HttpResponse}
     */
    metadataEndpoint(method: string): HttpResponse;
    /**
     * The password grant; rejects with an {@link OAuthError} when refused.
     * @param {string} clientId @param {string | null} clientSecret @param {string} username @param {string} password
     * @param {string | null} [scope]
     * @returns {Promise<TokenResponse>}
     */
    passwordGrant(clientId: string, clientSecret: string | null, username: string, password: string, scope?: string | null): Promise<TokenResponse>;
    /**
     * The refresh_token grant, with rotation.
     * @param {string} clientId @param {string | null} clientSecret @param {string} refreshToken @param {string | null} [scope]
     * @returns {Promise<TokenResponse>}
     */
    refreshGrant(clientId: string, clientSecret: string | null, refreshToken: string, scope?: string | null): Promise<TokenResponse>;
    /**
     * Introspection (RFC 7662): the response object.
     * @param {string} clientId @param {string | null} clientSecret @param {string} token @param {string | null} [tokenTypeHint]
     * @returns {Promise<Record<string, unknown>>}
     */
    introspect(clientId: string, clientSecret: string | null, token: string, tokenTypeHint?: string | null): Promise<Record<string, unknown>>;
    /**
     * Revocation (RFC 7009); unknown tokens succeed.
     * @param {string} clientId @param {string | null} clientSecret @param {string} token @param {string | null} [tokenTypeHint]
     * @returns {Promise<void>}
     */
    revoke(clientId: string, clientSecret: string | null, token: string, tokenTypeHint?: string | null): Promise<void>;
    /**
     * Stage 5 with the token itself; rejects with an {@link OAuthError} carrying the RFC 6750 response.
     * On the event loop with the memory store (microseconds), off it with a database or callbacks.
     * @param {string} accessToken @param {string} resource @param {string | null} [scope]
     * @returns {Promise<Principal>}
     */
    check(accessToken: string, resource: string, scope?: string | null): Promise<Principal>;
    /**
     * Stage 5 from the request's Authorization header (`null`/`undefined` when absent).
     * @param {string | null | undefined} authorization @param {string} resource @param {string | null} [scope]
     * @returns {Promise<Principal>}
     */
    checkRequest(authorization: string | null | undefined, resource: string, scope?: string | null): Promise<Principal>;
    /**
     * Stage 5 for a request that may carry a DPoP-bound token (RFC 9449 §7): `Authorization: DPoP
     * <token>` with the request's `DPoP` proof for `method` and `uri` (the absolute URI the client
     * reached: scheme, host, path), or a bearer token as {@link Server#checkRequest} takes it. A
     * refusal of a DPoP request carries a `DPoP` challenge.
     * @param {string | null | undefined} authorization @param {string | null | undefined} dpop
     * @param {string} method @param {string} uri @param {string} resource @param {string | null} [scope]
     * @returns {Promise<Principal>}
     */
    checkWithProof(authorization: string | null | undefined, dpop: string | null | undefined, method: string, uri: string, resource: string, scope?: string | null): Promise<Principal>;
    /** Hashes a password with this server's argon2id parameters, on libuv's pool. @param {string} password @returns {Promise<string>} */
    hashPassword(password: string): Promise<string>;
    /**
     * Sets a user's password hash and ends all its tokens, in every process sharing the store.
     * Rejects with a RangeError for an unknown user or a bad hash, an {@link OAuthError}
     * `temporarily_unavailable` when the store failed (nothing changed).
     * @param {string} username @param {string} passwordHash @returns {Promise<void>}
     */
    setUserPasswordHash(username: string, passwordHash: string): Promise<void>;
    /**
     * Enables or disables a user; disabling ends all its tokens. Errors as {@link Server#setUserPasswordHash}.
     * @param {string} username @param {boolean} enabled @returns {Promise<void>}
     */
    setUserEnabled(username: string, enabled: boolean): Promise<void>;
    /**
     * Ends every token of a user, in every process sharing the store; false for an unknown user.
     * @param {string} username @returns {Promise<boolean>}
     */
    revokeUserTokens(username: string): Promise<boolean>;
    /**
     * The server's metrics as Prometheus text (exposition format 0.0.4); off the event loop when
     * the store may wait.
     * @returns {Promise<string>}
     */
    metrics(): Promise<string>;
    /** Drops expired and revoked tokens now, in bounded batches; resolves to how many. @returns {Promise<number>} */
    purgeExpired(): Promise<number>;
    /**
     * The token-endpoint response for an error (RFC 6749 §5.2), for a caller that
     * answers by itself: `code` is an RFC code (`'server_error'`, `'invalid_request'`, ...).
     * @param {string} code @param {string} description
     * @returns {HttpResponse}
     */
    errorResponse(code: string, description: string): HttpResponse;
    /** The configuration as it is now (re-hashed passwords included), as JSON. @returns {string} */
    configJson(): string;
    #private;
}
