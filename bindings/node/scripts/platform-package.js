#!/usr/bin/env node
// Makes the prebuilt package of this platform, @ropc/<platform>: the addon
// built here (release, without test hooks) and a package.json whose os, cpu
// and libc fields tell npm where it fits. Packs it into <outdir> and prints
// the tarball's path.
//   node scripts/platform-package.js <outdir>
'use strict'

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { PLATFORMS } = require('./platforms.js')
const { binaryName, platformName } = require('../loader.js')

const pkg = path.resolve(__dirname, '..')
const outdir = path.resolve(process.argv[2] || '.')
const platform = PLATFORMS.find((p) => p.name === platformName())
if (!platform) {
  console.error(`ropc: no prebuilt package is defined for ${platformName()} (scripts/platforms.js)`)
  process.exit(1)
}
const binary = path.join(pkg, binaryName())
if (!fs.existsSync(binary)) {
  console.error(`ropc: ${binary} is missing: run \`node build.js\` first`)
  process.exit(1)
}
const main = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8'))
const dir = path.join(outdir, platform.name)
fs.rmSync(dir, { recursive: true, force: true })
fs.mkdirSync(dir, { recursive: true })
fs.copyFileSync(binary, path.join(dir, binaryName()))
const manifest = {
  name: `@ropc/${platform.name}`,
  version: main.version,
  description: `ropc's native addon for ${platform.name}`,
  license: main.license,
  main: binaryName(),
  files: [binaryName()],
  os: platform.os,
  cpu: platform.cpu,
  ...(platform.libc ? { libc: platform.libc } : {}),
  engines: main.engines,
}
fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', outdir], { cwd: dir }).toString().trim()
console.log(path.join(outdir, tarball))
