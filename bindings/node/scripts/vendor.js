#!/usr/bin/env node
// prepack: put the Rust sources the addon needs into ./native, so that
// `npx ropc build` can build where no prebuilt package fits, and list the
// platform packages as optionalDependencies (napi-rs's way: npm installs the
// one whose os/cpu/libc fit, and runs no script).
// postpack (--clean): remove ./native and the optionalDependencies again, so
// that the checkout's own `npm ci` never looks for them.
'use strict'

const fs = require('node:fs')
const path = require('node:path')
const { PLATFORMS } = require('./platforms.js')

const pkg = path.resolve(__dirname, '..')
const repo = path.resolve(pkg, '..', '..')
const native = path.join(pkg, 'native')
const manifestPath = path.join(pkg, 'package.json')

fs.rmSync(native, { recursive: true, force: true })
const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'))
delete manifest.optionalDependencies
if (!process.argv.includes('--clean')) {
  manifest.optionalDependencies = Object.fromEntries(PLATFORMS.map((p) => [`@ropc/${p.name}`, manifest.version]))
}
fs.writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`)
if (process.argv.includes('--clean')) process.exit(0)

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
