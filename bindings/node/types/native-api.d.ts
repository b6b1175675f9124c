/**
 * A packed HTTP response: status, header count, each header's name and value, each followed by a NUL, then the body (`toResponse` in errors.js).
 */
export type PackedResponse = string & {
    readonly __packed: "response";
};
/**
 * A packed principal: username, client id, scopes (space-separated), groups (U+0001-separated), each followed by a NUL, then `expires_at` (`principalOf` in args.js).
 */
export type PackedPrincipal = string & {
    readonly __packed: "principal";
};
/**
 * A value now when the core classified the call inline, else a Promise of it from the pool its class belongs on.
 */
export type Answer<T> = T | Promise<T>;
/**
 * Where a call may run, as the core classifies it.
 */
export type Blocking = "inline" | "cpu" | "waits";
export type Opt = string | null;
export type NativeTokens = {
    accessToken: string;
    tokenType: string;
    expiresIn: number;
    refreshToken?: string | null;
    scope: string;
};
export type NativeIntrospectionRequest = {
    contentType: string;
    authorization: string;
    body: string;
};
export type ConfigFailure = {
    path: string;
    message: string;
    text: string;
    textWithoutPosition: string;
    line?: number | null;
    column?: number | null;
    file?: string | null;
};
export type NativeAccountsStats = {
    verifyCalls: number;
    lookupCalls: number;
    paced: number;
    failures: number;
    paceTargetUs: number;
};
/**
 * (method, content type, authorization, body, DPoP proof, remote address, request id)
 */
export type EndpointArgs = [method: string, contentType: Opt, authorization: Opt, body: Buffer, dpop: Opt, remoteAddr: Opt, requestId: Opt];
export type NativeServer = {
    realm: string;
    answer: (endpoint: "token" | "introspection" | "revocation", ...args: EndpointArgs) => Answer<PackedResponse>;
    passwordGrant: (clientId: string, clientSecret: Opt, username: string, password: string, scope: Opt) => Answer<NativeTokens>;
    refreshGrant: (clientId: string, clientSecret: Opt, refreshToken: string, scope: Opt) => Answer<NativeTokens>;
    /**
     * introspection JSON
     */
    introspect: (clientId: string, clientSecret: Opt, token: string, tokenTypeHint: Opt) => Answer<string>;
    revoke: (clientId: string, clientSecret: Opt, token: string, tokenTypeHint: Opt) => Answer<void>;
    check: (accessToken: string, resource: string, scope: Opt) => Answer<PackedPrincipal>;
    checkRequest: (authorization: Opt, resource: string, scope: Opt) => Answer<PackedPrincipal>;
    checkWithProof: (authorization: Opt, dpop: Opt, method: string, uri: string, resource: string, scope: Opt) => Answer<PackedPrincipal>;
    /**
     * a PHC string
     */
    hashPassword: (password: string) => Answer<string>;
    setUserPasswordHash: (username: string, passwordHash: string) => Answer<string>;
    setUserEnabled: (username: string, enabled: boolean) => Answer<string>;
    revokeUserTokens: (username: string) => Answer<"true" | "false">;
    /**
     * a count, in decimal
     */
    purgeExpired: () => Answer<string>;
    /**
     * Prometheus text
     */
    metrics: () => Answer<string>;
    requestBlocking: (method: string, contentType: Opt, authorization: Opt, body: Buffer) => Blocking;
    callBlocking: (call: string, clientId: Opt) => Blocking;
    reload: (json: string) => Promise<void>;
    reloadFile: (path: string) => Promise<void>;
    forgetOwner: (username: string) => void;
    accountsStats: () => NativeAccountsStats;
    errorResponse: (code: string, description: string) => PackedResponse;
    configJson: () => string;
    keySetEndpoint: (method: string) => Answer<PackedResponse>;
    metadataEndpoint: (method: string) => PackedResponse;
    forwardAuth: (method: string, target: string, pairs: string[]) => Answer<PackedResponse>;
};
export type NativeGuard = {
    realm: string;
    reload: (json: string) => void;
    reloadFile: (path: string) => void;
    introspectionRequest: (token: string, clientId: string, clientSecret: string) => NativeIntrospectionRequest;
    bearerToken: (authorization: Opt) => string;
    cacheUntil: (introspectionJson: string, now: number, maxSeconds: number) => number | null;
    /**
     * always throws: the refusal for an unreachable authorization server
     */
    unavailable: () => never;
    checkIntrospection: (introspectionJson: string, resource: string, scope: Opt) => PackedPrincipal;
    checkJwtRequest: (authorization: Opt, keys: NativeKeySet, resource: string, scope: Opt) => PackedPrincipal;
    dpopToken: (authorization: Opt) => string | null;
    checkIntrospectionWithProof: (introspection: string, token: string, dpop: Opt, method: string, uri: string, resource: string, scope: Opt) => PackedPrincipal;
    checkJwtWithProof: (token: string, keys: NativeKeySet, dpop: Opt, method: string, uri: string, resource: string, scope: Opt) => PackedPrincipal;
};
export type NativeKeySet = {
    kids: string[];
};
export type NativeKeySetCache = {
    plan: (token: string, now: number, mayFetch: boolean) => [what: "not_jwt" | "use" | "fetch" | "unavailable", keys: NativeKeySet | null];
    /**
     * null when the set was replaced, else why not
     */
    fetched: (status: number, body: Buffer, cacheControl: string | null, now: number) => string | null;
    fetches: number;
};
/**
 * The one function the native side calls for every host callback (callbacks.js).
 */
export type Dispatch = (id: number, request: string) => unknown;
export type EventsHandler = (json: string) => unknown;
export type Native = {
    createServer: (json: string, events: EventsHandler | null, warningsOnly: boolean) => NativeServer;
    createServerWithCallbacks: (json: string, dispatch: Dispatch, accounts: boolean, authorize: boolean, events: EventsHandler | null, warningsOnly: boolean) => NativeServer;
    createGuard: (json: string) => NativeGuard;
    createKeySet: (json: string) => NativeKeySet;
    createKeySetCache: (maxAgeSeconds: number, minRefetchSeconds: number) => NativeKeySetCache;
    forwardedHeaders: () => string[];
    configFailureInFile: (failure: ConfigFailure, file: string) => ConfigFailure;
    resourceName: (method: string, target: string, realm: string) => string;
    settleCallback: (id: number, answer: string) => void;
    /**
     * runs the accounts conformance suite on `dispatch`
     */
    checkAccounts: (dispatch: Dispatch, fixture: string) => Promise<string | null>;
    /**
     * on libuv's pool, or with `sync` on the calling thread (for scripts, never a server's event loop)
     */
    hashPassword: (password: string, mCost: number | null | undefined, tCost: number | null | undefined, pCost: number | null | undefined, sync: boolean) => Answer<string>;
    generateClientSecret: () => [secret: string, hash: string];
    hashClientSecret: (secret: string) => string;
    cli: (args: string[]) => number;
    version: () => string;
    maxBodyBytes: () => number;
    /**
     * with the `test-hooks` feature only
     */
    panicInTaskForTests?: (() => Promise<never>) | undefined;
    /**
     * with the `test-hooks` feature only
     */
    panicSyncForTests?: (() => number) | undefined;
    /**
     * with the `test-hooks` feature only: servers created from now on use a manual clock at `now`
     */
    setTestClockForTests?: ((now: number | null) => void) | undefined;
    /**
     * with the `test-hooks` feature only
     */
    advanceTestClockForTests?: ((seconds: number) => boolean) | undefined;
};
