/**
 * Races: one secret (a refresh token, a code, a link) presented by N requests at the same moment,
 * over real sockets, spread over the instances of a deployment, and the whole repeated for many
 * trials and tallied. A trial holds when exactly one request wins, every other one is refused
 * with the answer the contract names, no request answers 5xx, and the trial's own check of the
 * stored state passes. The figure of each race is printed as one line for the README.
 */
import { expect } from "vitest";
import { type InstanceResponse, requestInstance } from "./cluster-http.js";
import { PUBLIC_URL } from "./test-app.js";

/** One listening instance: its own address; requests carry the public URL's host. */
export interface Endpoint {
  url: string;
}

export interface Answer {
  status: number;
  /** The problem `code`, when the answer is a problem. */
  code: string | undefined;
  body: unknown;
  headers: Headers;
}

const TRIALS_VARIABLE = "PORTCULLIS_RACE_TRIALS";

/**
 * Trials of one race: PORTCULLIS_RACE_TRIALS when set (`npm run races` sets 100), else
 * `defaultTrials`, which a suite lowers for races whose 100 trials do not fit the time `npm test`
 * can give them.
 */
export function raceTrials(defaultTrials = 100): number {
  const raw = process.env[TRIALS_VARIABLE];
  if (raw === undefined || raw === "") return defaultTrials;
  const trials = Number(raw);
  if (!Number.isInteger(trials) || trials < 1)
    throw new Error(`${TRIALS_VARIABLE} must be a positive integer`);
  return trials;
}

function toAnswer(response: InstanceResponse): Answer {
  const type = response.headers.get("content-type") ?? "";
  const text = response.body.toString("utf8");
  const body: unknown = /json/.test(type) && text !== "" ? JSON.parse(text) : text;
  const code =
    typeof body === "object" && body !== null && "code" in body && typeof body.code === "string"
      ? body.code
      : undefined;
  return { status: response.status, code, body, headers: response.headers };
}

/** One request for `path` under the public URL, served by `endpoint`. */
export async function call(
  endpoint: Endpoint,
  method: "GET" | "POST" | "PATCH",
  path: string,
  options: { json?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const response = await requestInstance(
    endpoint,
    method,
    `${PUBLIC_URL}${path}`,
    { ...(body === undefined ? {} : { "content-type": "application/json" }), ...options.headers },
    body,
  );
  return toAnswer(response);
}

/** `count` requests sent in the same turn of the event loop, the i-th to endpoint i mod n. */
export function contend(
  endpoints: readonly Endpoint[],
  count: number,
  send: (endpoint: Endpoint, index: number) => Promise<Answer>,
): Promise<Answer[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) => send(endpoints[index % endpoints.length] as Endpoint, index)),
  );
}

/** What one trial saw: the answers, which of them count as the win, and which refusal the contract names. */
export interface TrialOutcome {
  answers: Answer[];
  won(answer: Answer): boolean;
  refused(answer: Answer): boolean;
  /** The trial's check of what was stored (one account, one admin …): null when it holds, else why not. */
  stateProblem?: string | null;
}

export interface RaceFigure {
  race: string;
  backend: string;
  trials: number;
  /** Trials with exactly one winner, contracted refusals only, no 5xx and a consistent state. */
  held: number;
  /** Answers over all trials by status and code, e.g. "401 refresh_token_reused" → 900. */
  answers: Map<string, number>;
  seconds: number;
  /** The first few trials that did not hold, described. */
  failures: string[];
  line: string;
}

const describeAnswer = (answer: Answer) =>
  answer.code === undefined ? String(answer.status) : `${answer.status} ${answer.code}`;

/** Runs `trial` `trials` times, one after another, and tallies how many held. */
export async function runRace(
  race: string,
  backend: string,
  trials: number,
  trial: (index: number) => Promise<TrialOutcome>,
): Promise<RaceFigure> {
  const answers = new Map<string, number>();
  const failures: string[] = [];
  let held = 0;
  const started = performance.now();
  for (let index = 0; index < trials; index++) {
    const outcome = await trial(index);
    const winners = outcome.answers.filter((answer) => outcome.won(answer)).length;
    const stray = outcome.answers.filter((answer) => !outcome.won(answer) && !outcome.refused(answer));
    const serverErrors = outcome.answers.filter((answer) => answer.status >= 500).length;
    for (const answer of outcome.answers) {
      const key = describeAnswer(answer);
      answers.set(key, (answers.get(key) ?? 0) + 1);
    }
    const problem = outcome.stateProblem ?? null;
    if (winners === 1 && stray.length === 0 && serverErrors === 0 && problem === null) held++;
    else if (failures.length < 5)
      failures.push(
        `trial ${index + 1}: ${winners} winners; answers ${outcome.answers.map(describeAnswer).join(", ")}${
          stray.length > 0 ? `; unexpected: ${JSON.stringify(stray.map((answer) => answer.body))}` : ""
        }${problem === null ? "" : `; ${problem}`}`,
      );
  }
  const seconds = (performance.now() - started) / 1000;
  const tally = [...answers].map(([key, count]) => `${key} ×${count}`).join(", ");
  const line = `race ${race} [${backend}]: ${held}/${trials} trials with exactly one winner (${tally}) in ${seconds.toFixed(1)} s`;
  console.log(line);
  return { race, backend, trials, held, answers, seconds, failures, line };
}

/** Fails with the first trials that did not hold, and the figure. */
export function expectEveryTrialHeld(figure: RaceFigure): void {
  expect(figure.failures, figure.line).toEqual([]);
  expect(figure.held).toBe(figure.trials);
}
