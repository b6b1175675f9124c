/**
 * A token response (RFC 6749 §5.1).
 */
export type TokenResponse = {
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
export type Principal = {
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
export type Headers = Record<string, string | string[] | undefined> | Map<string, string> | Array<[string, string]> | null | undefined;
/**
 * The request body.
 */
export type Body = Buffer | Uint8Array | string | null | undefined;
/** @type {number} */
export const MAX_BODY_BYTES: number;
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
 * A principal packed by the native side (see `packed_principal` in src/lib.rs): username,
 * client id, scopes (space-separated), groups (U+0001-separated), each ended by a NUL, then
 * the expiry. Read with indexOf and slice: `split` goes through V8's runtime and costs more
 * than the check.
 * @param {string} r
 * @returns {Principal}
 */
export function principalOf(r: string): Principal;
/** @param {unknown} v @param {string} name @returns {string} */
export function str(v: unknown, name: string): string;
/** @param {unknown} v @param {string} name @returns {string | null} */
export function optStr(v: unknown, name: string): string | null;
/** @param {unknown} config @returns {string} */
export function configJson(config: unknown): string;
/** @param {Headers} headers @returns {{contentType: string | null, authorization: string | null, dpop: string | null}} */
export function findHeaders(headers: Headers): {
    contentType: string | null;
    authorization: string | null;
    dpop: string | null;
};
/**
 * The headers forward-auth reads, as `[name, value, ...]` for the native side (a header that
 * came twice is joined, as for the endpoints).
 * @param {unknown} headers @returns {string[]}
 */
export function forwardedArgs(headers: unknown): string[];
/** @param {Body} body @returns {Buffer} */
export function toBuffer(body: Body): Buffer;
/**
 * An endpoint request's arguments as the native side takes them.
 * @param {unknown} method @param {unknown} headers @param {unknown} body
 * @returns {[method: string, contentType: string | null, authorization: string | null, body: Buffer, dpop: string | null]}
 */
export function endpointArgs(method: unknown, headers: unknown, body: unknown): [method: string, contentType: string | null, authorization: string | null, body: Buffer, dpop: string | null];
/** @param {import('./native-api.js').NativeTokens} t @returns {TokenResponse} */
export function toTokens(t: import("./native-api.js").NativeTokens): TokenResponse;
