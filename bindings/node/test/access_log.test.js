'use strict'
// The Node examples' access log (examples/node/access_log.js): a line a
// request, every line kept, but one write a turn of the event loop, not one
// a request (each is a blocking write). Writes are counted, not timed.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const http = require('node:http')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')
const readline = require('node:readline')

const ROOT = path.join(__dirname, '..', '..', '..')
const ACCESS_LOG = path.join(ROOT, 'examples', 'node', 'access_log.js')
const { accessLog } = require(ACCESS_LOG)

const turn = () => new Promise((resolve) => setImmediate(resolve))

function recorder() {
  /** @type {string[]} */
  const writes = []
  return { writes, write: (/** @type {string} */ text) => writes.push(text) }
}

test('lines logged in one turn leave in one write, in order, each on its own line', async () => {
  const out = recorder()
  const log = accessLog('srv', out)
  log.line('POST /token 200')
  log.line('POST /introspect 200')
  log.line('GET /metrics 403')
  assert.equal(out.writes.length, 0, 'nothing is written inside the turn')
  await turn()
  assert.deepEqual(out.writes, ['srv: POST /token 200\nsrv: POST /introspect 200\nsrv: GET /metrics 403\n'])
  await turn()
  assert.equal(out.writes.length, 1, 'no empty write when nothing was logged')
  log.line('POST /revoke 200')
  await turn()
  assert.deepEqual(out.writes.slice(1), ['srv: POST /revoke 200\n'], 'a later turn, a write of its own')
})

test('a request is logged with its method, path and status, never its query string', async () => {
  const out = recorder()
  const log = accessLog('srv', out)
  const server = http.createServer((req, res) => {
    log.request(req, res)
    res.writeHead(req.url?.startsWith('/token') ? 401 : 404).end()
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)))
  const url = `http://127.0.0.1:${/** @type {any} */ (server.address()).port}`
  try {
    const statuses = await Promise.all([
      fetch(`${url}/token?client_secret=s3cr3t&password=hunter2`, { method: 'POST' }).then((r) => r.status),
      fetch(`${url}/nothing`).then((r) => r.status),
    ])
    assert.deepEqual(statuses, [401, 404])
    await turn()
    const lines = out.writes.join('').split('\n').filter(Boolean).sort()
    assert.deepEqual(lines, ['srv: GET /nothing 404', 'srv: POST /token 401'])
    assert.ok(!out.writes.join('').includes('s3cr3t') && !out.writes.join('').includes('hunter2'))
  } finally {
    await new Promise((resolve) => server.close(() => resolve(undefined)))
  }
})

test('a line still pending when the process exits is written', () => {
  const script = `const { accessLog } = require(${JSON.stringify(ACCESS_LOG)})
const log = accessLog('srv')
log.line('POST /token 200')
log.line('the last words')
process.exit(0)`
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stderr, 'srv: POST /token 200\nsrv: the last words\n')
})

test('the example authorization server logs every request of a burst, in fewer writes than requests', async (t) => {
  // strace is not needed to count writes: the example's stderr is a pipe,
  // and a preloaded module counts the calls to process.stderr.write.
  const counter = `let n = 0; const w = process.stderr.write.bind(process.stderr)
process.stderr.write = (...a) => { n++; return w(...a) }
process.on('SIGUSR2', () => { process.stdout.write('writes ' + n + '\\n') })`
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ropc-log-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.writeFileSync(path.join(dir, 'count_writes.js'), counter)
  const child = spawn(process.execPath, ['-r', path.join(dir, 'count_writes.js'),
    path.join(ROOT, 'examples', 'node', 'auth_server.js'), '--config', path.join(ROOT, 'examples', 'config', 'ropc.json'), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.after(() => child.kill())
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
  const lines = readline.createInterface({ input: child.stdout })
  const next = () => new Promise((resolve) => lines.once('line', resolve))
  const first = /** @type {string} */ (await next())
  assert.match(first, /listening on/)
  const url = first.split(' ').pop()
  const N = 40
  // The burst pipelined on one connection, in one write: the server reads
  // it in one go, whatever the machine's load, and answers in order.
  const { port } = new URL(/** @type {string} */ (url))
  const one = 'POST /introspect HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 13\r\n\r\ntoken=nothing'
  const answers = await new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(one.repeat(N)))
    let got = ''
    socket.setEncoding('utf8').on('data', (d) => {
      got += d
      if (got.split('HTTP/1.1 401').length - 1 === N) socket.end(() => resolve(got))
    })
    socket.on('error', reject)
  })
  assert.equal(answers.split('HTTP/1.1 ').length - 1, N)
  await new Promise((resolve) => setTimeout(resolve, 200))
  const counted = next()
  child.kill('SIGUSR2')
  const writes = Number(/** @type {string} */ (await counted).split(' ')[1])
  const logged = stderr.split('\n').filter((l) => l === 'auth_server: POST /introspect 401')
  assert.equal(logged.length, N, `every request logged:\n${stderr}`)
  assert.ok(writes >= 1 && writes < N, `${writes} writes for ${N} requests`)
})
