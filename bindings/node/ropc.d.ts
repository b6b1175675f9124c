// The package's types. tsc generates types/ from the JSDoc of the modules;
// this file adds what JSDoc cannot declare: `req.principal` on Express's
// Request, set by `protect` (a global augmentation, harmless without
// Express).
export * from './types/index.js'

declare global {
  namespace Express {
    interface Request {
      /** Set by ropc's `protect`: whom the bearer token speaks for. */
      principal?: import('./types/args.js').Principal
    }
  }
}
