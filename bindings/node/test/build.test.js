'use strict'
// The install script never writes over a loaded addon in place: a running
// `node app.js` keeps working while `npm install` or `make demo` rebuilds.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { install } = require('../build.js')
const { binaryName } = require('../loader.js')

const addon = path.join(__dirname, '..', binaryName())

// A child that loads `file` and calls into it until told to stop; it
// prints "ready" once loaded and exits 0 if every call worked.
function runner(file) {
  const code = `
    const m = require(${JSON.stringify(file)})
    let calls = 0
    process.stdout.write('ready\\n')
    const timer = setInterval(() => { m.generateClientSecret(); calls++ }, 1)
    process.stdin.on('data', () => { clearInterval(timer); m.generateClientSecret(); process.exit(calls > 0 ? 0 : 3) })
  `
  const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] })
  const ready = new Promise((resolve) => child.stdout.once('data', resolve))
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  return { child, ready, exited }
}

test('a rebuild replaces a loaded addon by rename: the running process keeps working', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ropc-build-'))
  try {
    const target = path.join(dir, binaryName())
    fs.copyFileSync(addon, target)
    const { child, ready, exited } = runner(target)
    await ready
    const before = fs.statSync(target).ino
    // A different binary (here: the old one with garbage after it).
    const next = path.join(dir, 'next.node')
    fs.writeFileSync(next, Buffer.concat([fs.readFileSync(addon), Buffer.alloc(4096, 0xcc)]))
    install(next, target)
    assert.notEqual(fs.statSync(target).ino, before, 'a new file took the name')
    assert.equal(fs.statSync(target).size, fs.statSync(next).size)
    assert.deepEqual(fs.readdirSync(dir).sort(), [binaryName(), 'next.node'].sort(), 'no temporary file left')
    await new Promise((resolve) => setTimeout(resolve, 100)) // calls keep coming after the swap
    child.stdin.write('stop\n')
    assert.deepEqual(await exited, { code: 0, signal: null }, 'the running process was not hurt')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('a rebuild that changes nothing writes nothing', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ropc-build-'))
  try {
    const target = path.join(dir, binaryName())
    fs.copyFileSync(addon, target)
    const before = fs.statSync(target)
    install(addon, target)
    const after = fs.statSync(target)
    assert.equal(after.ino, before.ino)
    assert.equal(after.mtimeMs, before.mtimeMs)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
