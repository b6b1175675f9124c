declare namespace _exports {
    export { HttpResponse, Owner, Accounts, Authorize, TokenResponse, Principal, Headers, Body };
}
declare const _exports: {
    tokenHandler: typeof import("./glue.js").tokenHandler;
    protect: typeof import("./glue.js").protect;
    reloadOnSighup: typeof import("./glue.js").reloadOnSighup;
    Server: typeof Server;
    ResourceGuard: typeof ResourceGuard;
    IntrospectionChecker: typeof IntrospectionChecker;
    IntrospectionUnavailable: typeof IntrospectionUnavailable;
    OAuthError: typeof OAuthError;
    ConfigError: typeof ConfigError;
    AccountError: typeof AccountError;
    hashPassword: typeof hashPassword;
    hashPasswordSync: typeof hashPasswordSync;
    generateClientSecret: typeof generateClientSecret;
    hashClientSecret: typeof hashClientSecret;
    checkAccounts: typeof checkAccounts;
    resourceName: typeof resourceName;
    headerOf: typeof headerOf;
    version: string;
    MAX_BODY_BYTES: number;
};
export = _exports;
/**
 * An HTTP response to send as it is: `headers` is the list of
 * `[name, value]` pairs in order (a name may repeat), as in C and Python.
 */
type HttpResponse = {
    status: number;
    headers: Array<[string, string]>;
    body: Buffer;
};
/**
 * A resource owner as `accounts.verify` / `accounts.lookup` describe it.
 */
type Owner = {
    /**
     * default none
     */
    groups?: string[] | undefined;
    /**
     * default true
     */
    enabled?: boolean | undefined;
    /**
     * a number the host changes whenever the owner's
     * credentials change (a counter, the time of the last password change): a new one ends
     * the owner's older tokens, in every process sharing the store
     */
    credentialVersion?: number | undefined;
};
/**
 * Resource owners kept by the host. Each method may return a value or a
 * Promise (a database driver is async); ropc calls them from the libuv pool
 * and waits for them without blocking the event loop.
 */
type Accounts = {
    /**
     *   an `Owner` when the password is right, `false` when it is wrong, `null` for an unknown user; must not log the password
     */
    verify: (username: string, password: string) => Owner | false | null | undefined | Promise<Owner | false | null | undefined>;
    /**
     *   the owner's current state, or `null` when there is no such user any more
     */
    lookup: (username: string) => Owner | null | undefined | Promise<Owner | null | undefined>;
};
/**
 * May this owner use this resource? Asked after the token and scope checks.
 */
type Authorize = (principal: Principal, resource: string, scope: string | null) => boolean | Promise<boolean>;
/**
 * A token response (RFC 6749 §5.1).
 */
type TokenResponse = {
    accessToken: string;
    /**
     * always `Bearer`
     */
    tokenType: string;
    /**
     * seconds
     */
    expiresIn: number;
    refreshToken: string | null;
    scope: string;
};
/**
 * Who is calling a resource.
 */
type Principal = {
    username: string;
    clientId: string;
    scopes: string[];
    groups: string[];
    /**
     * seconds since the epoch
     */
    expiresAt: number;
};
/**
 * Request headers: Node's `req.headers`, a `Map`, or `[name, value]` pairs.
 */
type Headers = Record<string, string | string[] | undefined> | Map<string, string> | Array<[string, string]> | null | undefined;
/**
 * The request body.
 */
type Body = Buffer | Uint8Array | string | null | undefined;
/** An authorization server. Safe to use from many async callers at once. */
declare class Server {
    /**
     * A server from a JSON configuration file; `options` as for the constructor.
     * @param {string} path
     * @param {ConstructorParameters<typeof Server>[1]} [options]
     * @returns {Server}
     */
    static fromFile(path: string, options?: ConstructorParameters<typeof Server>[1]): Server;
    /**
     * @param {object | string} config a configuration object or JSON string (see the README)
     * @param {{accounts?: Accounts, authorize?: Authorize, log?: (message: string) => void}} [options]
     *   `accounts` replaces the configured users with the host's; `authorize` is asked after
     *   the token and scope checks; `log` receives callback failures (default `console.error`).
     *   With either callback the `...Sync` methods throw: they would block the event loop the
     *   callbacks need.
     */
    constructor(config: object | string, options?: {
        accounts?: Accounts;
        authorize?: Authorize;
        log?: (message: string) => void;
    });
    /**
     * Swaps in a new configuration without dropping a token (tokens of removed clients
     * and users stop working); callbacks stay. Rejects with a {@link ConfigError}, having
     * changed nothing, when it is invalid or moves the store.
     * @param {object | string} config
     * @returns {Promise<void>}
     */
    reload(config: object | string): Promise<void>;
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
    /** Whether calls that read tokens may block: a database store (SQLite, PostgreSQL), or host callbacks. @returns {boolean} */
    get callsMayBlock(): boolean;
    /** The realm of `WWW-Authenticate` challenges. @returns {string} */
    get realm(): string;
    /**
     * The token endpoint (RFC 6749 §3.2), on the libuv pool.
     * @param {string} method @param {Headers} headers @param {Body} body
     * @returns {Promise<HttpResponse>}
     */
    tokenEndpoint(method: string, headers: Headers, body: Body): Promise<HttpResponse>;
    /** @param {string} method @param {Headers} headers @param {Body} body @returns {HttpResponse} */
    tokenEndpointSync(method: string, headers: Headers, body: Body): HttpResponse;
    /**
     * The introspection endpoint (RFC 7662).
     * @param {string} method @param {Headers} headers @param {Body} body
     * @returns {Promise<HttpResponse>}
     */
    introspectionEndpoint(method: string, headers: Headers, body: Body): Promise<HttpResponse>;
    /** @param {string} method @param {Headers} headers @param {Body} body @returns {HttpResponse} */
    introspectionEndpointSync(method: string, headers: Headers, body: Body): HttpResponse;
    /**
     * The revocation endpoint (RFC 7009).
     * @param {string} method @param {Headers} headers @param {Body} body
     * @returns {Promise<HttpResponse>}
     */
    revocationEndpoint(method: string, headers: Headers, body: Body): Promise<HttpResponse>;
    /** @param {string} method @param {Headers} headers @param {Body} body @returns {HttpResponse} */
    revocationEndpointSync(method: string, headers: Headers, body: Body): HttpResponse;
    /**
     * The password grant; rejects with an {@link OAuthError} when refused.
     * @param {string} clientId @param {string | null} clientSecret @param {string} username @param {string} password
     * @param {string | null} [scope]
     * @returns {Promise<TokenResponse>}
     */
    passwordGrant(clientId: string, clientSecret: string | null, username: string, password: string, scope?: string | null): Promise<TokenResponse>;
    /**
     * @param {string} clientId @param {string | null} clientSecret @param {string} username @param {string} password
     * @param {string | null} [scope]
     * @returns {TokenResponse}
     */
    passwordGrantSync(clientId: string, clientSecret: string | null, username: string, password: string, scope?: string | null): TokenResponse;
    /**
     * The refresh_token grant, with rotation.
     * @param {string} clientId @param {string | null} clientSecret @param {string} refreshToken @param {string | null} [scope]
     * @returns {Promise<TokenResponse>}
     */
    refreshGrant(clientId: string, clientSecret: string | null, refreshToken: string, scope?: string | null): Promise<TokenResponse>;
    /**
     * @param {string} clientId @param {string | null} clientSecret @param {string} refreshToken @param {string | null} [scope]
     * @returns {TokenResponse}
     */
    refreshGrantSync(clientId: string, clientSecret: string | null, refreshToken: string, scope?: string | null): TokenResponse;
    /**
     * Introspection (RFC 7662): the response object.
     * @param {string} clientId @param {string | null} clientSecret @param {string} token @param {string | null} [tokenTypeHint]
     * @returns {Promise<Record<string, unknown>>}
     */
    introspect(clientId: string, clientSecret: string | null, token: string, tokenTypeHint?: string | null): Promise<Record<string, unknown>>;
    /**
     * @param {string} clientId @param {string | null} clientSecret @param {string} token @param {string | null} [tokenTypeHint]
     * @returns {Record<string, unknown>}
     */
    introspectSync(clientId: string, clientSecret: string | null, token: string, tokenTypeHint?: string | null): Record<string, unknown>;
    /**
     * Revocation (RFC 7009); unknown tokens succeed.
     * @param {string} clientId @param {string | null} clientSecret @param {string} token @param {string | null} [tokenTypeHint]
     * @returns {Promise<void>}
     */
    revoke(clientId: string, clientSecret: string | null, token: string, tokenTypeHint?: string | null): Promise<void>;
    /**
     * @param {string} clientId @param {string | null} clientSecret @param {string} token @param {string | null} [tokenTypeHint]
     * @returns {void}
     */
    revokeSync(clientId: string, clientSecret: string | null, token: string, tokenTypeHint?: string | null): void;
    /**
     * Stage 5 with the token itself; rejects with an {@link OAuthError} carrying the RFC 6750 response.
     * In place with the memory store, on the libuv pool with a database.
     * @param {string} accessToken @param {string} resource @param {string | null} [scope]
     * @returns {Promise<Principal>}
     */
    check(accessToken: string, resource: string, scope?: string | null): Promise<Principal>;
    /**
     * Stage 5, blocking the calling thread (a database round trip with a database store).
     * @param {string} accessToken @param {string} resource @param {string | null} [scope]
     * @returns {Principal}
     */
    checkSync(accessToken: string, resource: string, scope?: string | null): Principal;
    /**
     * Stage 5 from the request's Authorization header (`null`/`undefined` when absent).
     * @param {string | null | undefined} authorization @param {string} resource @param {string | null} [scope]
     * @returns {Promise<Principal>}
     */
    checkRequest(authorization: string | null | undefined, resource: string, scope?: string | null): Promise<Principal>;
    /**
     * Stage 5 from the Authorization header, blocking the calling thread.
     * @param {string | null | undefined} authorization @param {string} resource @param {string | null} [scope]
     * @returns {Principal}
     */
    checkRequestSync(authorization: string | null | undefined, resource: string, scope?: string | null): Principal;
    /** Hashes a password with this server's argon2id parameters. @param {string} password @returns {Promise<string>} */
    hashPassword(password: string): Promise<string>;
    /** @param {string} password @returns {string} */
    hashPasswordSync(password: string): string;
    /**
     * Sets a user's password hash and ends all its tokens, in every process sharing the store.
     * Rejects with a RangeError for an unknown user or a bad hash, an {@link OAuthError}
     * `temporarily_unavailable` when the store failed (nothing changed).
     * @param {string} username @param {string} passwordHash @returns {Promise<void>}
     */
    setUserPasswordHash(username: string, passwordHash: string): Promise<void>;
    /** @param {string} username @param {string} passwordHash @returns {void} */
    setUserPasswordHashSync(username: string, passwordHash: string): void;
    /**
     * Enables or disables a user; disabling ends all its tokens. Errors as {@link Server#setUserPasswordHash}.
     * @param {string} username @param {boolean} enabled @returns {Promise<void>}
     */
    setUserEnabled(username: string, enabled: boolean): Promise<void>;
    /** @param {string} username @param {boolean} enabled @returns {void} */
    setUserEnabledSync(username: string, enabled: boolean): void;
    /**
     * Ends every token of a user, in every process sharing the store; false for an unknown user.
     * @param {string} username @returns {Promise<boolean>}
     */
    revokeUserTokens(username: string): Promise<boolean>;
    /** @param {string} username @returns {boolean} */
    revokeUserTokensSync(username: string): boolean;
    /** Drops expired and revoked tokens now, in bounded batches; resolves to how many. @returns {Promise<number>} */
    purgeExpired(): Promise<number>;
    /** @returns {number} */
    purgeExpiredSync(): number;
    /** The configuration as it is now (re-hashed passwords included), as JSON. @returns {string} */
    configJson(): string;
    #private;
}
/** A resource server's guard: decides from an introspection response with the shared scopes and rules. */
declare class ResourceGuard {
    /** @param {object | string} config */
    constructor(config: object | string);
    /** @returns {string} */
    get realm(): string;
    /**
     * Swaps in the scopes and rules of a new configuration; throws a {@link ConfigError},
     * changing nothing, when it is invalid.
     * @param {object | string} config
     */
    reload(config: object | string): void;
    /**
     * The introspection request for `token`, authenticated as the resource server's client.
     * @param {string} token @param {string} clientId @param {string} clientSecret
     * @returns {{contentType: string, authorization: string, body: string}}
     */
    introspectionRequest(token: string, clientId: string, clientSecret: string): {
        contentType: string;
        authorization: string;
        body: string;
    };
    /**
     * Step one: the bearer token in an Authorization header.
     * @param {string | null | undefined} authorization
     * @returns {string}
     */
    bearerToken(authorization: string | null | undefined): string;
    /**
     * Step two: decides from the introspection response.
     * @param {string | Buffer | object} introspection @param {string} resource @param {string | null} [scope]
     * @returns {Principal}
     */
    checkIntrospection(introspection: string | Buffer | object, resource: string, scope?: string | null): Principal;
    #private;
}
/** A resource server in another process: asks the introspection endpoint, then decides with a guard. */
declare class IntrospectionChecker {
    /**
     * @param {ResourceGuard} guard @param {string} introspectionUrl
     * @param {string} clientId this resource server's client id @param {string} clientSecret
     * @param {{timeoutMs?: number, log?: (message: string) => void}} [options] `log` receives why an
     *   introspection failed (default: `console.error`); no token or secret is in it
     */
    constructor(guard: ResourceGuard, introspectionUrl: string, clientId: string, clientSecret: string, options?: {
        timeoutMs?: number;
        log?: (message: string) => void;
    });
    guard: ResourceGuard;
    introspectionUrl: string;
    timeoutMs: number;
    /** @type {(message: string) => void} */
    log: (message: string) => void;
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
    #private;
}
/** The authorization server could not be asked (answer 503). */
declare class IntrospectionUnavailable extends Error {
    /** @param {string} message */
    constructor(message: string);
    code: string;
}
/**
 * A token response (RFC 6749 §5.1).
 * @typedef {object} TokenResponse
 * @property {string} accessToken
 * @property {string} tokenType always `Bearer`
 * @property {number} expiresIn seconds
 * @property {string | null} refreshToken
 * @property {string} scope
 */
/**
 * Who is calling a resource.
 * @typedef {object} Principal
 * @property {string} username
 * @property {string} clientId
 * @property {string[]} scopes
 * @property {string[]} groups
 * @property {number} expiresAt seconds since the epoch
 */
/**
 * Request headers: Node's `req.headers`, a `Map`, or `[name, value]` pairs.
 * @typedef {Record<string, string | string[] | undefined> | Map<string, string> | Array<[string, string]> | null | undefined} Headers
 */
/** The request body. @typedef {Buffer | Uint8Array | string | null | undefined} Body */
/**
 * A refusal: `code` is the RFC error code (`invalid_grant`, ...; `null` only
 * for a resource request without credentials), with the ready response.
 */
declare class OAuthError extends Error {
    /** @param {any} info */
    constructor(info: any);
    /** @type {string | null} */
    code: string | null;
    /** @type {string} */
    description: string;
    /** @type {string | null} the scope an `insufficient_scope` refusal needed */
    scope: string | null;
    /** @type {number} */
    status: number;
    /** @type {Array<[string, string]>} the response's headers, in order */
    headers: Array<[string, string]>;
    /** @type {Buffer} */
    body: Buffer;
    /**
     * The first value of the response header `name` (any case), or null.
     * @param {string} name @returns {string | null}
     */
    header(name: string): string | null;
}
/** A configuration that cannot be loaded: `path` says where. */
declare class ConfigError extends Error {
    /** @param {{path: string, message: string, text: string}} failure */
    constructor(failure: {
        path: string;
        message: string;
        text: string;
    });
    /** @type {string} */
    code: string;
    /** @type {string} */
    path: string;
    /** @type {string} */
    detail: string;
}
/**
 * A run-time change to a resource owner that could not be made (an unknown
 * user, a bad hash, or owners that are the host's): `code` is
 * `ERR_ROPC_ACCOUNT`. A `RangeError`, as such changes always threw.
 */
declare class AccountError extends RangeError {
    /** @param {string} message */
    constructor(message: string);
    /** @type {string} */
    code: string;
}
/**
 * argon2id PHC hash of a password (OWASP's parameters by default), on the libuv pool.
 * @param {string} password @param {{mCost?: number, tCost?: number, pCost?: number}} [params]
 * @returns {Promise<string>}
 */
declare function hashPassword(password: string, params?: {
    mCost?: number;
    tCost?: number;
    pCost?: number;
}): Promise<string>;
/**
 * @param {string} password @param {{mCost?: number, tCost?: number, pCost?: number}} [params]
 * @returns {string}
 */
declare function hashPasswordSync(password: string, params?: {
    mCost?: number;
    tCost?: number;
    pCost?: number;
}): string;
/** A new client secret (give it to the client once) and the hash for the configuration. @returns {{secret: string, hash: string}} */
declare function generateClientSecret(): {
    secret: string;
    hash: string;
};
/** The `sha256:` hash of a generated client secret. @param {string} secret @returns {string} */
declare function hashClientSecret(secret: string): string;
/**
 * Runs the core's accounts conformance suite on `accounts` through this
 * binding's adapter (for tests): resolves to `null`, or to what failed.
 * @param {Accounts} accounts
 * @param {{username: string, password: string, groups: string[], disabled: [string, string], unknown: string}} fixture
 * @returns {Promise<string | null>}
 */
declare function checkAccounts(accounts: Accounts, fixture: {
    username: string;
    password: string;
    groups: string[];
    disabled: [string, string];
    unknown: string;
}): Promise<string | null>;
/**
 * The resource name of a request by ropc's one rule (README, "Resource names"): `method`
 * and the raw request target (`req.url`: `/invoices/42?x=1`, before any decoding). Throws an
 * {@link OAuthError} (`invalid_request`, 400, with the RFC 6750 response for `realm`) for a
 * target a backend could read two ways: an encoded `/`, a dot segment, `//`, a bad escape.
 * @param {string} method @param {string} target @param {string} [realm]
 * @returns {string}
 */
declare function resourceName(method: string, target: string, realm?: string): string;
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
declare function headerOf(response: {
    headers: Array<[string, string]>;
}, name: string): string | null;
