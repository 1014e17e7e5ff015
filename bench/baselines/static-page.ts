// Baseline for the pages: a bare `node:http` server answering every request with the bytes of
// one file (BENCH_PAGE_FILE) as text/html — the cost of sending that page with no framework, no
// session lookup and no rendering. Run: PORT=3001 BENCH_PAGE_FILE=page.html node --import tsx bench/baselines/static-page.ts
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

const file = process.env.BENCH_PAGE_FILE;
if (file === undefined) throw new Error("BENCH_PAGE_FILE is required");
const body = readFileSync(file);

createServer((request, response) => {
  if (request.url === "/readyz") {
    response.writeHead(200, { "content-type": "text/plain" }).end("ok");
    return;
  }
  response.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": body.length });
  response.end(body);
}).listen(Number(process.env.PORT), "127.0.0.1");
