export type Principal = import("./args.js").Principal;
/**
 * A resource owner as `accounts.verify` / `accounts.lookup` describe it.
 */
export type Owner = {
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
    /**
     * from `verify`: the account's own name, when the host matches names
     * loosely (any case or spacing, sign-in by e-mail): tokens are issued to it, one subject
     * however the name was typed
     */
    name?: string | undefined;
};
/**
 * Resource owners kept by the host. Each method may return a value or a
 * Promise (a database driver is async); ropc calls them from the libuv pool
 * and waits for them without blocking the event loop.
 */
export type Accounts = {
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
export type Authorize = (principal: Principal, resource: string, scope: string | null) => boolean | Promise<boolean>;
/** @typedef {import('./args.js').Principal} Principal */
/**
 * A resource owner as `accounts.verify` / `accounts.lookup` describe it.
 * @typedef {object} Owner
 * @property {string[]} [groups] default none
 * @property {boolean} [enabled] default true
 * @property {number} [credentialVersion] a number the host changes whenever the owner's
 *   credentials change (a counter, the time of the last password change): a new one ends
 *   the owner's older tokens, in every process sharing the store
 * @property {string} [name] from `verify`: the account's own name, when the host matches names
 *   loosely (any case or spacing, sign-in by e-mail): tokens are issued to it, one subject
 *   however the name was typed
 */
/**
 * Resource owners kept by the host. Each method may return a value or a
 * Promise (a database driver is async); ropc calls them from the libuv pool
 * and waits for them without blocking the event loop.
 * @typedef {object} Accounts
 * @property {(username: string, password: string) => Owner | false | null | undefined | Promise<Owner | false | null | undefined>} verify
 *   an `Owner` when the password is right, `false` when it is wrong, `null` for an unknown user; must not log the password
 * @property {(username: string) => Owner | null | undefined | Promise<Owner | null | undefined>} lookup
 *   the owner's current state, or `null` when there is no such user any more
 */
/**
 * May this owner use this resource? Asked after the token and scope checks.
 * @typedef {(principal: Principal, resource: string, scope: string | null) => boolean | Promise<boolean>} Authorize
 */
/**
 * What a callback returned, shaped for the core (see src/callbacks.rs).
 * @param {string} kind @param {any} value
 */
export function callbackAnswer(kind: string, value: any): {
    kind: string;
    allowed?: undefined;
} | {
    name: any;
    groups: string[];
    enabled: any;
    credential: any;
    kind: string;
    allowed?: undefined;
} | {
    groups: string[];
    enabled: any;
    credential: any;
    kind: string;
    allowed?: undefined;
} | {
    kind: string;
    allowed: boolean;
};
/**
 * The one function the native side calls for every callback: runs the
 * host's callback, waits for its Promise, and settles the waiting worker.
 * @param {Accounts | undefined} accounts @param {Authorize | undefined} authorize @param {(message: string) => void} log
 */
export function dispatcher(accounts: Accounts | undefined, authorize: Authorize | undefined, log: (message: string) => void): (id: number, payload: string) => void;
/**
 * Runs the core's accounts conformance suite on `accounts` through this
 * binding's adapter (for tests): resolves to `null`, or to what failed.
 * @param {Accounts} accounts
 * @param {{username: string, password: string, groups: string[], disabled: [string, string], unknown: string}} fixture
 * @returns {Promise<string | null>}
 */
export function checkAccounts(accounts: Accounts, fixture: {
    username: string;
    password: string;
    groups: string[];
    disabled: [string, string];
    unknown: string;
}): Promise<string | null>;
