/**
 * An HTTP response to send as it is: `headers` is the list of
 * `[name, value]` pairs in order (a name may repeat), as in C and Python.
 */
export type HttpResponse = {
    status: number;
    headers: Array<[string, string]>;
    body: Buffer;
};
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
export function headerOf(response: {
    headers: Array<[string, string]>;
}, name: string): string | null;
/**
 * A refusal: `code` is the RFC error code (`invalid_grant`, ...; `null` only
 * for a resource request without credentials), with the ready response.
 */
export class OAuthError extends Error {
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
export class ConfigError extends Error {
    /**
     * @param {{path: string, message: string, text: string, textWithoutPosition?: string,
     *   line?: number | null, column?: number | null, file?: string | null}} failure
     * @param {unknown} [given] the configuration as the caller gave it: for an object, whose
     *   JSON ropc wrote, a line and column would point into text the caller never saw
     */
    constructor(failure: {
        path: string;
        message: string;
        text: string;
        textWithoutPosition?: string;
        line?: number | null;
        column?: number | null;
        file?: string | null;
    }, given?: unknown);
    /** @type {string} */
    code: string;
    /** @type {string} where in the document (`clients[0].scopes`; empty for the whole of it) */
    path: string;
    /** @type {string} what is wrong */
    detail: string;
    /** @type {number | null} the line in the JSON text given, when known */
    line: number | null;
    /** @type {number | null} the column in the JSON text given, when known */
    column: number | null;
    /** @type {string | null} the configuration file (`Server.fromFile`) */
    file: string | null;
}
/**
 * A run-time change to a resource owner that could not be made (an unknown
 * user, a bad hash, or owners that are the host's): `code` is
 * `ERR_ROPC_ACCOUNT`. A `RangeError`, as such changes always threw.
 */
export class AccountError extends RangeError {
    /** @param {string} message */
    constructor(message: string);
    /** @type {string} */
    code: string;
}
/**
 * The authorization server could not be asked: an {@link OAuthError} with
 * `code` `temporarily_unavailable` whose response is the one a store outage
 * gets (503 JSON with `Retry-After`), never a verdict on the token.
 * `cause` says what failed (it is logged, never sent).
 */
export class IntrospectionUnavailable extends OAuthError {
    /** @param {OAuthError} refusal the guard's `unavailable()` @param {string} cause */
    constructor(refusal: OAuthError, cause: string);
}
/**
 * A response packed by the native side (`response` in src/lib.rs): the
 * status, the number of headers, each header's name and value, each of
 * these ending in a NUL, then the body.
 * @param {string} packed @returns {HttpResponse}
 */
export function toResponse(packed: string): HttpResponse;
/**
 * A synchronous native call, its failure typed.
 * @template T @param {() => T} f @param {unknown} [given] @returns {T}
 */
export function call<T>(f: () => T, given?: unknown): T;
/**
 * A native call's outcome, now or a Promise of it (from a pool), its failure typed.
 * @template T @param {T | Promise<T>} promise @param {unknown} [given] @returns {Promise<T>}
 */
export function settle<T>(promise: T | Promise<T>, given?: unknown): Promise<T>;
