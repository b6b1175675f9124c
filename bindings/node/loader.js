'use strict'
// Loads the native addon built for this platform: a binary beside this file
// (a build in the ropc checkout, or `npx ropc build` from the vendored
// sources) wins; otherwise the prebuilt one from the platform's package,
// `@ropc/<platform>`, which npm installs through optionalDependencies (its
// `os`, `cpu` and `libc` fields pick the one that fits, no install script).
const fs = require('node:fs')
const path = require('node:path')

/** The platform's name as the packages spell it: `linux-x64-gnu`, ... */
function platformName() {
  let abi = ''
  if (process.platform === 'linux') {
    /** @type {any} */
    const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null
    abi = report && report.header && report.header.glibcVersionRuntime ? '-gnu' : '-musl'
  } else if (process.platform === 'win32') {
    abi = '-msvc'
  }
  return `${process.platform}-${process.arch}${abi}`
}

/** The addon's file name on this platform. */
function binaryName() {
  return `ropc.${platformName()}.node`
}

function load() {
  const local = path.join(__dirname, binaryName())
  if (fs.existsSync(local)) return require(local)
  const prebuilt = `@ropc/${platformName()}`
  try {
    return require(prebuilt)
  } catch (e) {
    const err = /** @type {NodeJS.ErrnoException} */ (e)
    if (err.code !== 'MODULE_NOT_FOUND' || !String(err.message).includes(prebuilt)) throw e
  }
  throw new Error(
    `ropc: no native binary for ${platformName()}: ${prebuilt} is not installed ` +
      `(npm skips it when optional dependencies are omitted, and none is published for some platforms). ` +
      `Build one from the package's Rust sources with \`npx ropc build\` (needs cargo: https://rustup.rs), ` +
      `or in a ropc checkout run \`make node\`.`,
  )
}

module.exports = { binaryName, platformName, load }
