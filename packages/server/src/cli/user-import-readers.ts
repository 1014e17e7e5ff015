/**
 * Incremental readers for user import files: lines (JSON Lines), CSV records (RFC 4180) and the
 * elements of a JSON document's array (Firebase's export). Each consumes text chunks as they
 * arrive and holds at most one line, record or element, capped, so a file of any size streams
 * through in bounded memory. Every item carries the 1-based line it starts on, for the report.
 */

/** Longest line, CSV record or JSON element accepted (characters); longer ones are refused, not buffered. */
export const MAX_RECORD_CHARS = 1024 * 1024;

export interface TextLine {
  line: number;
  text: string;
  /** The line was longer than the cap; `text` is empty. */
  tooLong: boolean;
}

/** Drops a UTF-8 byte order mark at the start (spreadsheets write one). */
async function* withoutBom(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let first = true;
  for await (const chunk of chunks) {
    yield first && chunk.startsWith("\uFEFF") ? chunk.slice(1) : chunk;
    first = false;
  }
}

/**
 * Splits text into lines at LF (a CR before it is dropped).
 *
 * @example for await (const { line, text } of readLines(stream)) …
 */
export async function* readLines(
  chunks: AsyncIterable<string>,
  maxChars = MAX_RECORD_CHARS,
): AsyncGenerator<TextLine> {
  let line = 1;
  let parts: string[] = [];
  let length = 0;
  let tooLong = false;
  const finish = (): TextLine => {
    let text = tooLong ? "" : parts.join("");
    if (text.endsWith("\r")) text = text.slice(0, -1);
    const result = { line, text, tooLong };
    parts = [];
    length = 0;
    tooLong = false;
    line++;
    return result;
  };
  for await (const chunk of withoutBom(chunks)) {
    let start = 0;
    for (let end = chunk.indexOf("\n"); end !== -1; end = chunk.indexOf("\n", start)) {
      if (!tooLong) parts.push(chunk.slice(start, end));
      length += end - start;
      if (length > maxChars) tooLong = true;
      yield finish();
      start = end + 1;
    }
    length += chunk.length - start;
    if (length > maxChars) {
      tooLong = true;
      parts = [];
    } else if (start < chunk.length) parts.push(chunk.slice(start));
  }
  if (length > 0 || tooLong) yield finish();
}

export interface CsvRecord {
  line: number;
  fields: string[];
  /** Why the record is not RFC 4180, or null. */
  problem: string | null;
}

/**
 * RFC 4180 records: comma-separated fields, CRLF or LF line ends, fields in double quotes may
 * hold commas, line breaks and doubled quotes. A record that breaks the grammar (text after a
 * closing quote, a quote never closed, over the cap) comes back with a `problem`; reading resumes
 * at the next line.
 *
 * @example for await (const { line, fields } of readCsvRecords(stream)) …
 */
export async function* readCsvRecords(
  chunks: AsyncIterable<string>,
  maxChars = MAX_RECORD_CHARS,
): AsyncGenerator<CsvRecord> {
  type State = "fieldStart" | "unquoted" | "quoted" | "quoteInQuoted" | "skipToLineEnd";
  let state: State = "fieldStart";
  let line = 1;
  let recordLine = 1;
  let fields: string[] = [];
  let field = "";
  let size = 0;
  let problem: string | null = null;
  let pendingCr = false;

  const endRecord = (): CsvRecord => {
    fields.push(field);
    const record = { line: recordLine, fields, problem };
    fields = [];
    field = "";
    size = 0;
    problem = null;
    state = "fieldStart";
    recordLine = line;
    return record;
  };

  for await (const chunk of withoutBom(chunks)) {
    for (let index = 0; index < chunk.length; index++) {
      const char = chunk[index] as string;
      if (pendingCr) {
        pendingCr = false;
        // A bare CR outside quotes ends nothing by itself; it is kept as text.
        if (char !== "\n" && state === "unquoted") field += "\r";
      }
      if (char === "\n") line++;
      if (++size > maxChars && state !== "skipToLineEnd") {
        problem ??= `longer than ${maxChars} characters`;
        state = "skipToLineEnd";
      }
      switch (state) {
        case "skipToLineEnd":
          if (char === "\n") {
            const record = endRecord();
            yield { ...record, fields: [] };
          }
          break;
        case "fieldStart":
        case "unquoted":
          if (char === ",") {
            fields.push(field);
            field = "";
            state = "fieldStart";
          } else if (char === "\n") {
            // An empty line is no record.
            if (fields.length === 0 && field === "" && state === "fieldStart") {
              recordLine = line;
              size = 0;
            } else yield endRecord();
          } else if (char === "\r") pendingCr = true;
          else if (char === '"' && state === "fieldStart") state = "quoted";
          else {
            field += char;
            state = "unquoted";
          }
          break;
        case "quoted":
          if (char === '"') state = "quoteInQuoted";
          else field += char;
          break;
        case "quoteInQuoted":
          if (char === '"') {
            field += '"';
            state = "quoted";
          } else if (char === ",") {
            fields.push(field);
            field = "";
            state = "fieldStart";
          } else if (char === "\n") yield endRecord();
          else if (char === "\r") pendingCr = true;
          else {
            problem ??= "text after a closing quote";
            state = "skipToLineEnd";
          }
          break;
      }
    }
  }
  if (state === "quoted") {
    problem ??= "a quoted field is never closed";
    yield { ...endRecord(), fields: [] };
  } else if (state === "skipToLineEnd") yield { ...endRecord(), fields: [] };
  else if (fields.length > 0 || field !== "" || state === "quoteInQuoted") yield endRecord();
}

/**
 * RFC 4180 text of one record, with CRLF. Fields holding a comma, quote or line break are quoted.
 *
 * @example csvLine(["a", "b,c"]) // 'a,"b,c"\r\n'
 */
export function csvLine(fields: readonly string[]): string {
  return `${fields.map((value) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value)).join(",")}\r\n`;
}

export interface JsonElement {
  line: number;
  text: string;
  tooLong: boolean;
}

/**
 * The text of each object inside the arrays one level down in a JSON document, such as
 * `{"users": [{…}, {…}]}` (what `firebase auth:export` writes, pretty-printed over many lines).
 * Only strings and nesting are tracked; each element is handed over as text for `JSON.parse`.
 */
export async function* readJsonArrayObjects(
  chunks: AsyncIterable<string>,
  maxChars = MAX_RECORD_CHARS,
): AsyncGenerator<JsonElement> {
  // Depth 1: inside the document's object; 2: inside one of its arrays; 3: inside an element.
  const ELEMENT_DEPTH = 3;
  let depth = 0;
  let line = 1;
  let inString = false;
  let escaped = false;
  let capturing = false;
  let parts: string[] = [];
  let length = 0;
  let elementLine = 1;
  const keep = (piece: string) => {
    length += piece.length;
    if (length > maxChars) parts = [];
    else parts.push(piece);
  };
  for await (const chunk of withoutBom(chunks)) {
    let from = 0;
    for (let index = 0; index < chunk.length; index++) {
      const char = chunk[index];
      if (char === "\n") line++;
      if (inString) {
        if (escaped) escaped = false;
        else if (char === "\\") escaped = true;
        else if (char === '"') inString = false;
      } else if (char === '"') inString = true;
      else if (char === "{" || char === "[") {
        depth++;
        if (depth === ELEMENT_DEPTH && char === "{") {
          capturing = true;
          from = index;
          parts = [];
          length = 0;
          elementLine = line;
        }
      } else if (char === "}" || char === "]") {
        if (depth === ELEMENT_DEPTH && capturing) {
          keep(chunk.slice(from, index + 1));
          const tooLong = length > maxChars;
          yield { line: elementLine, text: tooLong ? "" : parts.join(""), tooLong };
          capturing = false;
          parts = [];
        }
        depth--;
      }
    }
    // An element still open at the end of the chunk: keep its text so far.
    if (capturing) keep(chunk.slice(from));
  }
}
