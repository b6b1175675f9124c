'use strict'
// The examples' access log: a line a request (method, path, status; never
// the query string, where credentials or tokens sent by mistake would be,
// never a body), to stderr.
//
// A write to a pipe or a file blocks Node's event loop (they are
// synchronous on Linux), and console.error formats besides: a line a
// request written that way cost the token endpoint a fifth of its
// throughput. Lines logged during one turn of the loop leave together in
// one write at its end (setImmediate), so an idle server still logs each
// request at once, and nothing waits longer than the turn it was logged in.
// Lines still pending when the process exits are written then.

/**
 * @param {string} name the prefix of every line (the program's name)
 * @param {{write(text: string): unknown}} [out] default: process.stderr
 * @returns {{request(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void, line(text: string): void, flush(): void}}
 */
function accessLog(name, out = process.stderr) {
  let pending = ''
  const flush = () => {
    if (pending === '') return
    const text = pending
    pending = ''
    out.write(text)
  }
  process.on('exit', flush)
  /** @param {string} text */
  const line = (text) => {
    if (pending === '') setImmediate(flush)
    pending += `${name}: ${text}\n`
  }
  return {
    /** Logs `req` once its answer is sent. */
    request(req, res) {
      res.on('finish', () => {
        const url = req.url ?? ''
        const q = url.indexOf('?')
        line(`${req.method} ${q < 0 ? url : url.slice(0, q)} ${res.statusCode}`)
      })
    },
    line,
    flush,
  }
}

module.exports = { accessLog }
