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
export class AccountError extends RangeError {
    /** @param {string} message */
    constructor(message: string);
    /** @type {string} */
    code: string;
}
/** The authorization server could not be asked (answer 503). */
export class IntrospectionUnavailable extends Error {
    /** @param {string} message */
    constructor(message: string);
    code: string;
}
/** @param {any} r @returns {HttpResponse} */
export function toResponse(r: any): HttpResponse;
/** @param {any} outcome @param {string} key */
export function unwrap(outcome: any, key: string): any;
