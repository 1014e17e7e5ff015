import { describe, expect, it } from "vitest";
import { csvLine, readCsvRecords, readJsonArrayObjects, readLines } from "./user-import-readers.js";

/** The text in pieces of `size` characters, as a stream would hand it over. */
async function* pieces(text: string, size: number): AsyncGenerator<string> {
  for (let start = 0; start < text.length; start += size) yield text.slice(start, start + size);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = [];
  for await (const item of items) result.push(item);
  return result;
}

// Every reader must give the same answer however the text is cut.
const SIZES = [1, 2, 3, 7, 1 << 16];

describe("readLines", () => {
  it.each(SIZES)("splits LF and CRLF lines and numbers them, in pieces of %i", async (size) => {
    const lines = await collect(readLines(pieces('\uFEFF{"a":1}\r\n\n{"b":2}\nlast', size)));
    expect(lines).toEqual([
      { line: 1, text: '{"a":1}', tooLong: false },
      { line: 2, text: "", tooLong: false },
      { line: 3, text: '{"b":2}', tooLong: false },
      { line: 4, text: "last", tooLong: false },
    ]);
  });

  it.each(SIZES)(
    "refuses a line over the cap without holding it, and goes on (pieces of %i)",
    async (size) => {
      const lines = await collect(readLines(pieces(`short\n${"x".repeat(50)}\nafter\n`, size), 20));
      expect(lines).toEqual([
        { line: 1, text: "short", tooLong: false },
        { line: 2, text: "", tooLong: true },
        { line: 3, text: "after", tooLong: false },
      ]);
    },
  );
});

describe("readCsvRecords", () => {
  const text = [
    "email,name,roles\r\n",
    'ada@example.com,"Lovelace, Ada",user admin\r\n',
    '"grace@example.com","Grace ""Amazing"" Hopper",\r\n',
    "\r\n",
    'multi@example.com,"two\nlines",user\n',
    "last@example.com,,user",
  ].join("");

  it.each(SIZES)(
    "reads RFC 4180 records with quotes, doubled quotes and line breaks (pieces of %i)",
    async (size) => {
      const records = await collect(readCsvRecords(pieces(text, size)));
      expect(records).toEqual([
        { line: 1, fields: ["email", "name", "roles"], problem: null },
        { line: 2, fields: ["ada@example.com", "Lovelace, Ada", "user admin"], problem: null },
        { line: 3, fields: ["grace@example.com", 'Grace "Amazing" Hopper', ""], problem: null },
        { line: 5, fields: ["multi@example.com", "two\nlines", "user"], problem: null },
        { line: 7, fields: ["last@example.com", "", "user"], problem: null },
      ]);
    },
  );

  it.each(SIZES)(
    "reports a broken record with its line and resumes at the next (pieces of %i)",
    async (size) => {
      const records = await collect(readCsvRecords(pieces('a,"b"c,d\ne,f\n"never closed\n', size)));
      expect(records).toEqual([
        { line: 1, fields: [], problem: "text after a closing quote" },
        { line: 2, fields: ["e", "f"], problem: null },
        { line: 3, fields: [], problem: "a quoted field is never closed" },
      ]);
    },
  );

  it("refuses a record over the cap", async () => {
    const records = await collect(readCsvRecords(pieces(`a,"${"x".repeat(100)}"\nb,c\n`, 8), 50));
    expect(records[0]?.problem).toMatch(/longer than 50/);
    expect(records[1]).toEqual({ line: 2, fields: ["b", "c"], problem: null });
  });

  it("writes what it reads back", async () => {
    const fields = ["plain", "with,comma", 'with "quotes"', "two\r\nlines", ""];
    const [record] = await collect(readCsvRecords(pieces(csvLine(fields), 3)));
    expect(record?.fields).toEqual(fields);
  });
});

describe("readJsonArrayObjects", () => {
  // What `firebase auth:export users.json` writes: pretty-printed, one array of users.
  const exported = `{"users": [${JSON.stringify({ localId: "a", email: "a@example.com", displayName: 'Brace } [ " in a name' }, null, 2)},
${JSON.stringify({ localId: "b", providerUserInfo: [{ providerId: "google.com", rawId: "123" }] }, null, 2)}]}
`;

  it.each(SIZES)("hands over each element whole, with the line it starts on (pieces of %i)", async (size) => {
    const elements = await collect(readJsonArrayObjects(pieces(exported, size)));
    expect(elements.map((element) => element.line)).toEqual([1, 6]);
    expect(elements.map((element) => JSON.parse(element.text))).toEqual([
      { localId: "a", email: "a@example.com", displayName: 'Brace } [ " in a name' },
      { localId: "b", providerUserInfo: [{ providerId: "google.com", rawId: "123" }] },
    ]);
  });

  it("refuses an element over the cap", async () => {
    const elements = await collect(
      readJsonArrayObjects(pieces(`{"users":[{"a":"${"x".repeat(100)}"},{"b":1}]}`, 7), 50),
    );
    expect(elements).toEqual([
      { line: 1, text: "", tooLong: true },
      { line: 1, text: '{"b":1}', tooLong: false },
    ]);
  });
});
