// Runs one autocannon load in a worker thread of the bench process, so that a latency probe
// does not share an event loop with a concurrent storm (whose responses would delay the probe's
// own timers and callbacks and inflate the latencies it records).
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { type LoadOptions, type LoadResult, runLoad } from "./load.js";

export type PlainLoadOptions = Omit<LoadOptions, "setupRequest">;

export function runLoadInWorker(options: PlainLoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    // `--import tsx` in a worker's execArgv does not reach the worker's entry module on Node 20,
    // so a tiny JavaScript entry registers tsx first and then imports this file.
    const tsxApi = JSON.stringify(import.meta.resolve("tsx/esm/api"));
    const entry = `import { register } from ${tsxApi}; register(); await import(${JSON.stringify(import.meta.url)});`;
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(entry)}`), {
      workerData: options,
    });
    let settled = false;
    worker.once("message", (result: LoadResult) => {
      settled = true;
      resolve(result);
    });
    worker.once("error", (error) => {
      settled = true;
      reject(error);
    });
    worker.once("exit", (code) => {
      if (!settled) reject(new Error(`load worker exited with code ${code} without a result`));
    });
  });
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  runLoad(workerData as PlainLoadOptions).then((result) => {
    port.postMessage(result);
  });
}
