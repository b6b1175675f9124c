#!/usr/bin/env node
// Builds the native addon with cargo, beside this file (where loader.js
// looks first). Not an install script: installing ropc runs no script, the
// prebuilt binary comes from the platform's package (@ropc/<platform>).
// Run with Node's built-ins only:
//
// - Inside the ropc repository (`make node`): builds the workspace's addon
//   (incremental); `npm test` builds it with the test-only hooks
//   (ROPC_NODE_FEATURES), and a plain `node build.js` without them again.
// - From an installed package (`npx ropc build`): builds the vendored Rust
//   sources in ./native, for a platform no prebuilt package fits.
'use strict'

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { binaryName } = require('./loader.js')

const here = __dirname
const target = path.join(here, binaryName())
const vendored = path.join(here, 'native', 'Cargo.toml')
const inRepo = !fs.existsSync(vendored)
const profile = process.env.ROPC_NODE_PROFILE === 'debug' ? 'debug' : 'release'

function loads(file) {
  try {
    require(file)
    return true
  } catch {
    return false
  }
}

function build() {
  const manifest = inRepo ? path.join(here, 'Cargo.toml') : vendored
  const args = ['build', '-p', 'ropc-node', '--manifest-path', manifest, '--message-format=json-render-diagnostics']
  if (profile === 'release') args.push('--release')
  // ROPC_NODE_FEATURES=test-hooks: the build `npm test` runs against.
  if (process.env.ROPC_NODE_FEATURES) args.push('--features', process.env.ROPC_NODE_FEATURES)
  let out
  try {
    out = execFileSync(process.env.CARGO || 'cargo', args, { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 28 })
  } catch (e) {
    const why = e.code === 'ENOENT' ? 'cargo was not found: install Rust (https://rustup.rs) and try again' : e.message
    console.error(`ropc: building ${binaryName()} from source failed: ${why}`)
    process.exit(1)
  }
  const artifact = out
    .toString()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .find((m) => m.reason === 'compiler-artifact' && m.target && m.target.name === 'ropc_node')
  const lib = artifact && artifact.filenames.find((f) => /\.(so|dylib|dll)$/.test(f))
  if (!lib) {
    console.error('ropc: cargo built no ropc_node library')
    process.exit(1)
  }
  install(lib, target)
}

// A running process has the old binary mapped: overwriting it in place
// crashes that process (SIGSEGV) on its next call into the addon. The new
// binary goes to a temporary file beside it and is renamed over the old one
// (the running process keeps its inode); nothing is written when the bytes
// are the same.
function install(lib, target) {
  const fresh = fs.readFileSync(lib)
  if (fs.existsSync(target) && fresh.equals(fs.readFileSync(target))) return
  const tmp = `${target}.${process.pid}.tmp`
  try {
    fs.writeFileSync(tmp, fresh, { mode: 0o755 })
    fs.renameSync(tmp, target)
  } catch (e) {
    fs.rmSync(tmp, { force: true })
    throw e
  }
}

function main() {
  build()
  if (!loads(target)) {
    console.error(`ropc: ${target} does not load on this platform`)
    process.exit(1)
  }
}

if (require.main === module) {
  main()
} else {
  module.exports = { install, main } // for the tests and `npx ropc build`
}
