/**
 * `npm start` (and `node dist/main.js`): the server process, as `portcullis start` runs it
 * (run-server.ts has the start-up and the clean shutdown).
 */
import { runServer } from "./run-server.js";

await runServer();
