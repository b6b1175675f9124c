#!/usr/bin/env node
// `npx ropc ...`: the operators' commands, the same as the Rust binary `ropc`
// and `python -m ropc` (one implementation, in the core):
//   hash-password [--m-cost KIB] [--t-cost N] [--p-cost N]   (password on stdin)
//   generate-secret
//   check-config FILE [--host-accounts]
// and, for Node only, `build`: the native addon from the package's Rust
// sources, for a platform no prebuilt package fits (needs cargo).
'use strict'

const args = process.argv.slice(2)
if (args[0] === 'build') {
  require('./build.js').main()
} else {
  process.exitCode = require('./native.js').cli(args)
  // The usage the core printed, with Node's own command: after --help on
  // standard output, after a wrong command (exit 2) on standard error.
  const build = '  ropc build   (Node: the native addon from source, needs cargo)'
  if (args[0] === '--help' || args[0] === '-h') console.log(build)
  else if (process.exitCode === 2) console.error(build)
}
