export type Principal = import("./args.js").Principal;
/** @typedef {import('./args.js').Principal} Principal */
/** A resource server's guard: decides from an introspection response with the shared scopes and rules. */
export class ResourceGuard {
    /** @param {object | string} config */
    constructor(config: object | string);
    /** @internal @returns {import('./native-api.js').NativeGuard} */
    get nativeGuard(): import("./native-api.js").NativeGuard;
    /** @returns {string} */
    get realm(): string;
    /**
     * Swaps in the scopes and rules of a new configuration; throws a {@link ConfigError},
     * changing nothing, when it is invalid.
     * @param {object | string} config
     */
    reload(config: object | string): void;
    /**
     * The same from the configuration file at `path`, read by the core (strict UTF-8).
     * @param {string} path
     */
    reloadFile(path: string): void;
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
     * Until when (seconds since the epoch) an introspection response given at `now` may be
     * kept for at most `maxSeconds`: active answers only, never past `exp`; null: not at all.
     * @param {string} introspection @param {number} now @param {number} maxSeconds
     * @returns {number | null}
     */
    cacheUntil(introspection: string, now: number, maxSeconds: number): number | null;
    /**
     * The refusal when the authorization server could not be asked: an {@link OAuthError}
     * (`temporarily_unavailable`, 503 with `Retry-After`, as a store outage answers a check),
     * returned, not thrown.
     * @returns {import('./errors.js').OAuthError}
     */
    unavailable(): import("./errors.js").OAuthError;
    /**
     * Stage 5 offline for a JWT access token (RFC 9068) with the authorization server's key set:
     * the signature, `typ`, `iss` (the configuration's `issuer`), `aud` (its `audience`) and `exp`,
     * then the same rules as an introspection response. Throws an {@link OAuthError} carrying the
     * RFC 6750 response.
     * @param {string | null | undefined} authorization the request's Authorization header
     * @param {KeySet} keys @param {string} resource @param {string | null} [scope]
     * @returns {Principal}
     */
    checkJwtRequest(authorization: string | null | undefined, keys: KeySet, resource: string, scope?: string | null): Principal;
    /**
     * The token of an `Authorization: DPoP` header (RFC 9449); null for another scheme; throws the
     * refusal for a malformed one.
     * @param {string | null | undefined} authorization @returns {string | null}
     */
    dpopToken(authorization: string | null | undefined): string | null;
    /**
     * Stage 5 from an introspection answer for a request that used the `DPoP` scheme: the proof
     * (`dpop`, the request's header) for `method`, `uri` (the absolute URI the client reached) and
     * `token`, used once here, made with the key the answer's `cnf.jkt` names. Throws the refusal
     * (a `DPoP` challenge).
     * @param {string} introspection @param {string} token @param {string | null | undefined} dpop
     * @param {string} method @param {string} uri @param {string} resource @param {string | null} [scope]
     * @returns {Principal}
     */
    checkIntrospectionWithProof(introspection: string, token: string, dpop: string | null | undefined, method: string, uri: string, resource: string, scope?: string | null): Principal;
    /**
     * {@link ResourceGuard#checkIntrospectionWithProof} for a JWT checked offline with `keys`.
     * @param {string} token @param {KeySet} keys @param {string | null | undefined} dpop
     * @param {string} method @param {string} uri @param {string} resource @param {string | null} [scope]
     * @returns {Principal}
     */
    checkJwtWithProof(token: string, keys: KeySet, dpop: string | null | undefined, method: string, uri: string, resource: string, scope?: string | null): Principal;
    /**
     * Step two: decides from the introspection response.
     * @param {string | Buffer | object} introspection @param {string} resource @param {string | null} [scope]
     * @returns {Principal}
     */
    checkIntrospection(introspection: string | Buffer | object, resource: string, scope?: string | null): Principal;
    #private;
}
/** A key set (RFC 7517): the public keys JWT access tokens are verified with, read strictly. */
export class KeySet {
    /** @param {string | Buffer | object} jwks a JWKS document (`{"keys": [...]}`) @throws {RangeError} when it is not one */
    constructor(jwks: string | Buffer | object);
    /** The keys' `kid`, in order. @returns {string[]} */
    get kids(): string[];
    /** @internal @returns {import('./native-api.js').NativeKeySet} */
    get native(): import("./native-api.js").NativeKeySet;
    #private;
}
/**
 * The resource name of a request by ropc's one rule (README, "Resource names"): `method`
 * and the raw request target (`req.url`: `/invoices/42?x=1`, before any decoding). Throws an
 * {@link OAuthError} (`invalid_request`, 400, with the RFC 6750 response for `realm`) for a
 * target a backend could read two ways: an encoded `/`, a dot segment, `//`, a bad escape.
 * @param {string} method @param {string} target @param {string} [realm]
 * @returns {string}
 */
export function resourceName(method: string, target: string, realm?: string): string;
