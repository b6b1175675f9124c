#!/usr/bin/env node
// prepack: put the Rust sources the addon needs into ./native, so that the
// tarball can build from source where the prebuilt binary does not fit, and
// make sure the prebuilt binary for this platform is fresh.
// postpack (--clean): remove ./native again.
'use strict'

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const pkg = path.resolve(__dirname, '..')
const repo = path.resolve(pkg, '..', '..')
const native = path.join(pkg, 'native')

fs.rmSync(native, { recursive: true, force: true })
if (process.argv.includes('--clean')) process.exit(0)

execFileSync(process.execPath, [path.join(pkg, 'build.js')], { stdio: 'inherit' })

const copy = (from, to) => fs.cpSync(from, to, { recursive: true, filter: (src) => !/[\\/](target|node_modules)$/.test(src) })
copy(path.join(repo, 'core'), path.join(native, 'core'))
fs.mkdirSync(path.join(native, 'node'), { recursive: true })
for (const item of ['Cargo.toml', 'build.rs', 'src']) copy(path.join(pkg, item), path.join(native, 'node', item))
copy(path.join(repo, 'Cargo.lock'), path.join(native, 'Cargo.lock'))
const workspace = fs
  .readFileSync(path.join(repo, 'Cargo.toml'), 'utf8')
  .replace(/^members = .*$/m, 'members = ["core", "node"]')
  .replace(/^default-members = .*$/m, 'default-members = ["node"]')
fs.writeFileSync(path.join(native, 'Cargo.toml'), workspace)
