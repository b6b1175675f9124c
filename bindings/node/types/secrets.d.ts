/**
 * argon2id PHC hash of a password (OWASP's parameters by default), on the libuv pool.
 * @param {string} password @param {{mCost?: number, tCost?: number, pCost?: number}} [params]
 * @returns {Promise<string>}
 */
export function hashPassword(password: string, params?: {
    mCost?: number;
    tCost?: number;
    pCost?: number;
}): Promise<string>;
/**
 * The same on the calling thread, blocking it (for scripts: never on a server's event loop).
 * @param {string} password @param {{mCost?: number, tCost?: number, pCost?: number}} [params]
 * @returns {string}
 */
export function hashPasswordSync(password: string, params?: {
    mCost?: number;
    tCost?: number;
    pCost?: number;
}): string;
/** A new client secret (give it to the client once) and the hash for the configuration. @returns {{secret: string, hash: string}} */
export function generateClientSecret(): {
    secret: string;
    hash: string;
};
/** The `sha256:` hash of a generated client secret. @param {string} secret @returns {string} */
export function hashClientSecret(secret: string): string;
