#!/usr/bin/env node
// `make test-node`: installs ropc the three ways a user does, in fresh
// projects outside the checkout, and uses it each time:
// - tarball: the ropc package and the prebuilt @ropc/<platform> package,
//   with --ignore-scripts (installing needs no script);
// - folder: `npm install <checkout>/bindings/node` (a link to the build);
// - source: the ropc package alone, optional dependencies omitted, then
//   `npx ropc build` from the vendored Rust sources.
// Each then loads from CommonJS and ESM, runs `npx ropc`, and compiles the
// consumer files in test/consumer (strict, no skipLibCheck) against it.
//   node scripts/check-installs.js <dir with the two tarballs>
'use strict'

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { platformName, binaryName } = require('../loader.js')

const pkg = path.resolve(__dirname, '..')
const tarballs = path.resolve(process.argv[2])
const find = (re) => {
  const name = fs.readdirSync(tarballs).find((f) => re.test(f))
  if (!name) throw new Error(`no tarball matching ${re} in ${tarballs}`)
  return path.join(tarballs, name)
}
const main = find(/^ropc-\d.*\.tgz$/)
const prebuilt = find(new RegExp(`^ropc-${platformName()}-.*\\.tgz$`))

const sh = (cwd, cmd, args, env = {}) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } }).toString()
const npm = (cwd, ...args) => sh(cwd, 'npm', [...args, '--no-audit', '--no-fund', '--silent'])
const fail = (how, why) => {
  console.error(`${how}: ${why}`)
  process.exit(1)
}

for (const how of ['tarball', 'folder', 'source']) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ropc-${how}-`))
  try {
    npm(dir, 'init', '-y')
    const installed = path.join(dir, 'node_modules', 'ropc')
    if (how === 'tarball') {
      npm(dir, 'install', '--ignore-scripts', main, prebuilt)
      const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'))
      const scripts = Object.keys(manifest.scripts || {}).filter((s) => /^(pre|post)?install$/.test(s))
      if (scripts.length) fail(how, `the package has install scripts: ${scripts}`)
      if (!manifest.optionalDependencies?.[`@ropc/${platformName()}`]) fail(how, 'no optionalDependency on the platform package')
      if (fs.existsSync(path.join(installed, binaryName()))) fail(how, 'the main package carries a binary')
      if (!fs.existsSync(path.join(dir, 'node_modules', '@ropc', platformName(), binaryName()))) fail(how, 'no prebuilt package')
    } else if (how === 'folder') {
      npm(dir, 'install', pkg)
    } else {
      npm(dir, 'install', '--ignore-scripts', '--omit=optional', main)
      if (fs.existsSync(path.join(dir, 'node_modules', '@ropc'))) fail(how, 'the prebuilt package was installed')
      let refused = ''
      try {
        execFileSync(process.execPath, ['-e', "require('ropc')"], { cwd: dir, stdio: 'pipe' })
      } catch (e) {
        refused = String(/** @type {any} */ (e).stderr)
      }
      if (!refused.includes('npx ropc build')) fail(how, `without a binary, require says: ${refused}`)
      sh(dir, 'npx', ['--no-install', 'ropc', 'build'], { CARGO_TARGET_DIR: path.join(pkg, '..', '..', 'target', 'npm-vendored') })
      if (!fs.existsSync(path.join(installed, binaryName()))) fail(how, 'npx ropc build made no binary')
    }
    const cjs = sh(dir, process.execPath, ['-e', "const r = require('ropc'); console.log(r.hashPasswordSync('pw', {mCost: 64, tCost: 1, pCost: 1}).slice(0, 10))"])
    if (cjs.trim() !== '$argon2id$') fail(how, `require: ${cjs}`)
    sh(dir, process.execPath, ['--input-type=module', '-e', "import ropc from 'ropc'; import { Server } from 'ropc'; if (ropc.Server !== Server) process.exit(1)"])
    const secret = JSON.parse(sh(dir, 'npx', ['--no-install', 'ropc', 'generate-secret']))
    if (!secret.secret_hash.startsWith('sha256:')) fail(how, 'npx ropc generate-secret')
    // TypeScript consumers, with the checkout's TypeScript and Express types.
    for (const dep of ['typescript', 'typescript7', 'express', '@types']) {
      fs.mkdirSync(path.dirname(path.join(dir, 'node_modules', dep)), { recursive: true })
      fs.symlinkSync(path.join(pkg, 'node_modules', dep), path.join(dir, 'node_modules', dep))
    }
    for (const f of fs.readdirSync(path.join(pkg, 'test', 'consumer'))) fs.copyFileSync(path.join(pkg, 'test', 'consumer', f), path.join(dir, f))
    // TypeScript 5.9, also with the classic CommonJS resolution (node10), and
    // TypeScript 7, which has only the modern resolutions.
    const tsc = (pkg) => path.join(dir, 'node_modules', pkg, 'bin', 'tsc')
    for (const project of ['tsconfig.json', 'tsconfig.commonjs.json']) sh(dir, process.execPath, [tsc('typescript'), '-p', project])
    sh(dir, process.execPath, [tsc('typescript7'), '-p', 'tsconfig.json'])
    console.log(`${how}: installs, loads (CommonJS and ESM), runs npx ropc, type-checks`)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
