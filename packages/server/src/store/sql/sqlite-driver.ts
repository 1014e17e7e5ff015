/**
 * The native SQLite driver for the Node.js that runs us. better-sqlite3 12 builds on
 * `node::ObjectWrap`, whose destructor on Node 24 asserts that a Node environment is current, so
 * a statement collected without one aborts the process ("Assertion failed: (env) != nullptr",
 * WiseLibs/better-sqlite3#1515, closed without a fix). better-sqlite3 13 moved to Node-API and
 * works on 24, but crashes on Node 20. Both are installed (13 under the alias
 * `better-sqlite3-napi`, prebuilt, nothing to compile); each Node loads the one that works on it.
 * Their JavaScript API is the same.
 */
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";

const NODE_MAJOR = Number(process.versions.node.split(".")[0]);
/** The first Node.js major whose ObjectWrap aborts with better-sqlite3 12. */
const NODE_API_DRIVER_FROM = 24;

const load = createRequire(import.meta.url);

export const sqliteDriverPackage =
  NODE_MAJOR >= NODE_API_DRIVER_FROM ? "better-sqlite3-napi" : "better-sqlite3";

const SQLite = load(sqliteDriverPackage) as typeof BetterSqlite3;
export default SQLite;
