'use strict'
// Loads the native addon built for this platform.
const path = require('node:path')

function binaryName() {
  let abi = ''
  if (process.platform === 'linux') {
    /** @type {any} */
    const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null
    abi = report && report.header && report.header.glibcVersionRuntime ? '-gnu' : '-musl'
  } else if (process.platform === 'win32') {
    abi = '-msvc'
  }
  return `ropc.${process.platform}-${process.arch}${abi}.node`
}

function load() {
  return require(path.join(__dirname, binaryName()))
}

module.exports = { binaryName, load }
