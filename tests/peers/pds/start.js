// A real Bluesky PDS on loopback for tweetchat's tests, with what it needs:
//
// - an in-memory PLC directory (@did-plc/server), where the PDS registers
//   every account's DID;
// - the PDS itself (@atproto/pds in dev mode, handles under `.test`), which
//   validates every record against the lexicons and keeps repos on disk in
//   DATA_DIR;
// - a stand-in for the AppView's `app.bsky.feed.searchPosts` and
//   `app.bsky.feed.getPostThread`: the PDS proxies those calls to it with a
//   service token, as it proxies to the real AppView (and checks their
//   parameters against its own lexicons first). It reads the posts back from
//   the PDS itself (listRepos, listRecords), so what it finds is exactly
//   what was posted, and checks searchPosts' parameters against the lexicon
//   in LEXICONS (../shared/peers/atproto-lexicons) when that folder exists.
//   A thread is built as the AppView builds it: nested `replies` down to
//   `depth` (a post below that keeps its `replyCount`, without `replies`),
//   a reply whose author the requester blocks, or who blocks the requester
//   (an `app.bsky.graph.block` record in either repository), answered as a
//   `#blockedPost`; searchPosts leaves such authors' posts out, as the
//   AppView's `noBlocksOrTagged` rule does.
//
// Every listener is bound to 127.0.0.1. When all three are ready, one JSON
// line goes to stdout: {"pds": "http://127.0.0.1:PORT", "plc": …, "appview": …}.
// Stop it with SIGTERM or SIGKILL; DATA_DIR is the caller's to delete.
//
// Env: DATA_DIR (required), PDS_APP (the install cache's app folder),
// PDS_PORT (default: a free port), LEXICONS
// (optional), APPVIEW_PAGE_CAP (optional: the most posts a search page has),
// JWT_SECRET (optional: lets a test mint expired tokens), EXIT_WITH_STDIN
// (optional: exit when stdin closes).

'use strict'

const fs = require('node:fs')
const http = require('node:http')
const net = require('node:net')
const path = require('node:path')
const crypto = require('node:crypto')
const { createRequire } = require('node:module')
const { pathToFileURL } = require('node:url')

const HOST = '127.0.0.1'

// The packages come from the install cache (install.sh), not from beside
// this file: PDS_APP is the folder holding their node_modules.
const APP = process.env.PDS_APP || __dirname
const requireFromApp = createRequire(path.join(APP, 'package.json'))
async function load(name) {
  const mod = await import(pathToFileURL(requireFromApp.resolve(name)).href)
  return { ...(mod.default ?? {}), ...mod } // CommonJS packages come as `default`
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, HOST, () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

function listen(app, port) {
  return new Promise((resolve, reject) => {
    const server = http.createServer(app)
    server.once('error', reject)
    server.listen(port, HOST, () => resolve(server))
  })
}

async function startPlc() {
  const { PlcServer, Database } = await load('@did-plc/server')
  const plc = PlcServer.create({ db: Database.mock() })
  const server = await listen(plc.app, 0)
  return `http://${HOST}:${server.address().port}`
}

async function startPds(dataDir, port, plcUrl, appviewUrl) {
  const pds = await load('@atproto/pds')
  const { Secp256k1Keypair } = await load('@atproto/crypto')
  const recovery = await Secp256k1Keypair.create({ exportable: true })
  const rotation = await Secp256k1Keypair.create({ exportable: true })
  const rotationHex = Buffer.from(await rotation.export()).toString('hex')
  const env = {
    devMode: true,
    port,
    hostname: 'localhost',
    dataDirectory: dataDir,
    blobstoreDiskLocation: path.join(dataDir, 'blobs'),
    didPlcUrl: plcUrl,
    recoveryDidKey: recovery.did(),
    plcRotationKeyK256PrivateKeyHex: rotationHex,
    serviceHandleDomains: ['.test'],
    inviteRequired: false,
    jwtSecret: process.env.JWT_SECRET || crypto.randomBytes(16).toString('hex'),
    adminPassword: crypto.randomBytes(16).toString('hex'),
    bskyAppViewUrl: appviewUrl,
    bskyAppViewDid: 'did:example:search',
    bskyAppViewCdnUrlPattern: `${appviewUrl}/img/%s/%s/%s`,
    modServiceUrl: appviewUrl,
    modServiceDid: 'did:example:moderation',
    disableSsrfProtection: true,
    rateLimitsEnabled: false,
  }
  const server = await pds.PDS.create(pds.envToCfg(env), pds.envToSecrets(env))
  // PDS.start() listens on every interface; this is its body, on loopback.
  await server.ctx.sequencer.start()
  server.server = await listen(server.app, port)
  return `http://${HOST}:${port}`
}

// --- the searchPosts stand-in -------------------------------------------

async function loadLexicons(dir) {
  if (!dir || !fs.existsSync(dir)) return null
  const { Lexicons } = await load('@atproto/lexicon')
  const docs = []
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name)
      if (entry.isDirectory()) walk(p)
      else if (entry.name.endsWith('.json')) docs.push(JSON.parse(fs.readFileSync(p, 'utf8')))
    }
  }
  walk(dir)
  return new Lexicons(docs)
}

// Query parameters decoded by the lexicon's types (arrays repeat the key).
function decodeParams(url, lexicons) {
  const def = lexicons?.getDef('app.bsky.feed.searchPosts')
  const props = def?.parameters?.properties ?? {
    tag: { type: 'array' }, limit: { type: 'integer' },
  }
  const params = {}
  for (const key of new Set(url.searchParams.keys())) {
    const type = props[key]?.type
    const values = url.searchParams.getAll(key)
    if (type === 'array') params[key] = values
    else if (type === 'integer') params[key] = Number(values[0])
    else params[key] = values[0]
  }
  return params
}

async function getJson(url) {
  const res = await fetch(url)
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`)
  return res.json()
}

// Every post on the PDS, with its author's handle (from the DID document
// in the PLC directory, as an AppView learns it).
async function allPosts(pdsUrl, plcUrl) {
  const posts = []
  const { repos } = await getJson(`${pdsUrl}/xrpc/com.atproto.sync.listRepos?limit=1000`)
  for (const { did } of repos) {
    const doc = await getJson(`${plcUrl}/${encodeURIComponent(did)}`)
    const aka = (doc.alsoKnownAs ?? []).find((a) => a.startsWith('at://'))
    const handle = aka ? aka.slice('at://'.length) : 'handle.invalid'
    let cursor = ''
    for (;;) {
      const page = await getJson(
        `${pdsUrl}/xrpc/com.atproto.repo.listRecords?repo=${did}` +
          `&collection=app.bsky.feed.post&limit=100${cursor ? `&cursor=${cursor}` : ''}`,
      )
      for (const r of page.records) posts.push({ ...r, did, handle })
      if (!page.cursor || page.records.length === 0) break
      cursor = page.cursor
    }
  }
  return posts
}

function tagsOf(record) {
  const tags = new Set((record.tags ?? []).map((t) => t.toLowerCase()))
  for (const facet of record.facets ?? []) {
    for (const f of facet.features ?? []) {
      if (f.$type === 'app.bsky.richtext.facet#tag') tags.add(f.tag.toLowerCase())
    }
  }
  return tags
}

function matches(post, params) {
  const { record } = post.value ? { record: post.value } : post
  const tags = tagsOf(record)
  const wanted = [...(params.tag ?? [])]
  const words = []
  for (const term of (params.q ?? '').split(/\s+/).filter(Boolean)) {
    if (term.startsWith('#')) wanted.push(term.slice(1))
    else words.push(term.toLowerCase())
  }
  if (!wanted.every((t) => tags.has(t.toLowerCase()))) return false
  if (!words.every((w) => record.text.toLowerCase().includes(w))) return false
  const at = Date.parse(record.createdAt)
  if (params.since && at < Date.parse(params.since)) return false
  if (params.until && at >= Date.parse(params.until)) return false
  return true
}

function xrpcError(res, status, error, message) {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ error, message }))
}

// --- the getPostThread stand-in -----------------------------------------

// The DID the PDS's service token speaks for (its `iss`, without a key id).
function requester(req) {
  const token = (req.headers.authorization ?? '').replace(/^Bearer /, '')
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())
    return String(claims.iss ?? '').split('#')[0]
  } catch {
    return ''
  }
}

// Every `app.bsky.graph.block` on the PDS as [blocker, subject] pairs.
async function allBlocks(pdsUrl) {
  const pairs = []
  const { repos } = await getJson(`${pdsUrl}/xrpc/com.atproto.sync.listRepos?limit=1000`)
  for (const { did } of repos) {
    const page = await getJson(
      `${pdsUrl}/xrpc/com.atproto.repo.listRecords?repo=${did}&collection=app.bsky.graph.block&limit=100`,
    )
    for (const r of page.records) pairs.push([did, r.value.subject])
  }
  return pairs
}

async function postThread(urls, req, url) {
  const uri = url.searchParams.get('uri')
  const depth = Number(url.searchParams.get('depth') ?? 6)
  if (!uri) return [400, { error: 'InvalidRequest', message: 'Error: Params must have the property "uri"' }]
  if (!(Number.isInteger(depth) && depth >= 0 && depth <= 1000)) {
    return [400, { error: 'InvalidRequest', message: 'depth must be an integer 0..1000' }]
  }
  const viewer = requester(req)
  const posts = await allPosts(urls.pds, urls.plc)
  const blocks = await allBlocks(urls.pds)
  const blocked = (did) =>
    blocks.some(([a, b]) => (a === viewer && b === did) || (a === did && b === viewer))
  const byUri = new Map(posts.map((p) => [p.uri, p]))
  const children = new Map()
  for (const p of posts) {
    const parent = p.value.reply?.parent?.uri
    if (!parent) continue
    if (!children.has(parent)) children.set(parent, [])
    children.get(parent).push(p)
  }
  const view = (p) => ({
    uri: p.uri,
    cid: p.cid,
    author: {
      did: p.did,
      handle: p.handle,
      viewer: {
        muted: false,
        blockedBy: blocks.some(([a, b]) => a === p.did && b === viewer),
        ...(blocks.some(([a, b]) => a === viewer && b === p.did)
          ? { blocking: `at://${viewer}/app.bsky.graph.block/x` }
          : {}),
      },
    },
    record: p.value,
    replyCount: (children.get(p.uri) ?? []).length,
    repostCount: 0,
    likeCount: 0,
    indexedAt: p.value.createdAt,
  })
  // Iteratively, as deep as asked: the nesting is the test's to choose.
  const build = (root) => {
    const top = { $type: 'app.bsky.feed.defs#threadViewPost', post: view(root) }
    const stack = [[top, root, depth]]
    while (stack.length) {
      const [node, post, left] = stack.pop()
      if (left <= 0) continue
      node.replies = []
      for (const child of children.get(post.uri) ?? []) {
        if (blocked(child.did)) {
          node.replies.push({
            $type: 'app.bsky.feed.defs#blockedPost',
            uri: child.uri,
            blocked: true,
            author: { did: child.did, viewer: view(child).author.viewer },
          })
          continue
        }
        const item = { $type: 'app.bsky.feed.defs#threadViewPost', post: view(child) }
        node.replies.push(item)
        stack.push([item, child, left - 1])
      }
    }
    return top
  }
  const root = byUri.get(uri)
  if (!root) return [400, { error: 'NotFound', message: `Post not found: ${uri}` }]
  if (blocked(root.did)) {
    return [200, { thread: { $type: 'app.bsky.feed.defs#blockedPost', uri, blocked: true,
      author: { did: root.did, viewer: view(root).author.viewer } } }]
  }
  return [200, { thread: build(root) }]
}

function appview(urls, lexicons) {
  return async (req, res) => {
    const url = new URL(req.url, `http://${HOST}`)
    if (!/^Bearer .+/.test(req.headers.authorization ?? '')) {
      return xrpcError(res, 401, 'AuthMissing', 'the PDS did not send a service token')
    }
    if (url.pathname === '/xrpc/app.bsky.feed.getPostThread') {
      try {
        const [status, body] = await postThread(urls, req, url)
        res.writeHead(status, { 'content-type': 'application/json' })
        return res.end(JSON.stringify(body))
      } catch (err) {
        return xrpcError(res, 500, 'InternalServerError', err.message)
      }
    }
    if (url.pathname !== '/xrpc/app.bsky.feed.searchPosts') {
      return xrpcError(res, 501, 'MethodNotImplemented', `${url.pathname} is not served here`)
    }
    const params = decodeParams(url, lexicons)
    // An AppView may answer fewer posts than asked (the lexicon allows it);
    // tests set a small page to make the client follow cursors.
    const pageCap = Number(process.env.APPVIEW_PAGE_CAP ?? 100)
    try {
      lexicons?.assertValidXrpcParams('app.bsky.feed.searchPosts', params)
    } catch (err) {
      return xrpcError(res, 400, 'InvalidRequest', err.message)
    }
    const limit = params.limit ?? 25
    if (!(limit >= 1 && limit <= 100)) {
      return xrpcError(res, 400, 'InvalidRequest', 'limit must be 1..100')
    }
    try {
      // As the AppView's searchPosts (its noBlocksOrTagged rule): a post
      // whose author blocks the requester, or is blocked by it, is left out.
      const viewer = requester(req)
      const blocks = await allBlocks(urls.pds)
      const found = (await allPosts(urls.pds, urls.plc))
        .filter((p) => p.did === viewer || !blocks.some(([a, b]) =>
          (a === viewer && b === p.did) || (a === p.did && b === viewer)))
        .filter((p) => matches({ record: p.value }, params))
        .sort((a, b) => Date.parse(b.value.createdAt) - Date.parse(a.value.createdAt))
      const offset = Number(params.cursor ?? 0)
      const page = found.slice(offset, offset + Math.min(limit, pageCap))
      const next = offset + page.length
      const body = {
        posts: page.map((p) => ({
          uri: p.uri,
          cid: p.cid,
          author: { did: p.did, handle: p.handle },
          record: p.value,
          indexedAt: p.value.createdAt,
        })),
        hitsTotal: found.length,
      }
      if (next < found.length) body.cursor = String(next)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    } catch (err) {
      xrpcError(res, 500, 'InternalServerError', err.message)
    }
  }
}

async function main() {
  const dataDir = process.env.DATA_DIR
  if (!dataDir) throw new Error('set DATA_DIR to an empty folder for the PDS')
  fs.mkdirSync(dataDir, { recursive: true })
  const lexicons = await loadLexicons(process.env.LEXICONS)
  const urls = { pds: '', plc: '' }
  const search = await listen(appview(urls, lexicons), 0)
  const appviewUrl = `http://${HOST}:${search.address().port}`
  urls.plc = await startPlc()
  const port = Number(process.env.PDS_PORT || 0) || (await freePort())
  urls.pds = await startPds(dataDir, port, urls.plc, appviewUrl)
  process.stdout.write(
    JSON.stringify({ ...urls, appview: appviewUrl, lexicons: !!lexicons }) + '\n',
  )
}

process.on('SIGTERM', () => process.exit(0))
// A test that dies without stopping us closes our stdin: go with it.
if (process.env.EXIT_WITH_STDIN) {
  process.stdin.on('end', () => process.exit(0))
  process.stdin.resume()
}
main().catch((err) => {
  process.stderr.write(`test PDS did not start: ${err.stack ?? err}\n`)
  process.exit(1)
})
