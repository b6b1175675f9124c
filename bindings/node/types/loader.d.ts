export function binaryName(): string;
export function load(): any;
