/** The addon's file name on this platform. */
export function binaryName(): string;
/** The platform's name as the packages spell it: `linux-x64-gnu`, ... */
export function platformName(): string;
export function load(): any;
