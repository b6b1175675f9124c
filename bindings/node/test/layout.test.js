'use strict'
// The JS layer is a module per job with no require cycle: each module's
// local requires, followed from every module, never lead back to it.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const shipped = require('../package.json').files.filter((f) => /^[a-z]+\.js$/.test(f) && f !== 'build.js')

function localRequires(file) {
  const text = fs.readFileSync(path.join(root, file), 'utf8')
  return [...text.matchAll(/require\('\.\/([a-z]+\.js)'\)/g)].map((m) => m[1])
}

test('no module of the JS layer requires itself through others, and none requires index.js', () => {
  assert.ok(shipped.length >= 8, `modules: ${shipped}`)
  const graph = Object.fromEntries(shipped.map((f) => [f, localRequires(f)]))
  for (const [file, deps] of Object.entries(graph)) {
    if (file !== 'index.js') assert.ok(!deps.includes('index.js'), `${file} requires index.js`)
    const seen = new Set()
    const walk = (f, trail) => {
      for (const d of graph[f] ?? localRequires(f)) {
        assert.notEqual(d, file, `cycle: ${[...trail, d].join(' -> ')}`)
        if (!seen.has(d)) {
          seen.add(d)
          walk(d, [...trail, d])
        }
      }
    }
    walk(file, [file])
  }
})
