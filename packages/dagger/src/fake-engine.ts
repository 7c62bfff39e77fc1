/**
 * For tests only: a stand-in for a Dagger engine session, no engine. The SDK reaches an engine session over HTTP
 * (GraphQL at http://127.0.0.1:$DAGGER_SESSION_PORT/query); this server records each query the SDK sends, as a
 * chain of calls with their arguments, and answers it from the test's `answer`. Object IDs it hands out resolve
 * back to the calls that made them, so a test sees `container(platform) → withFile → withExec → exitCode` whole.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Client, Context, GraphQLClient } from "@dagger.io/dagger";

/** One call of a query chain: `withExec(args: ["/probe"], expect: ANY)`. */
export interface Call {
  readonly field: string;
  readonly args: Readonly<Record<string, unknown>>;
}

/** What a test answers for a chain: a value, or an Error the engine would send back. */
export type Answer = (chain: readonly Call[]) => unknown | Promise<unknown>;

/** A running fake session. */
export interface FakeEngine {
  readonly port: number;
  readonly token: string;
  /** Every chain the SDK sent, IDs resolved to their calls, in order. */
  readonly queries: Call[][];
  /** A client of the SDK connected to it, as `dag` is inside a module. */
  readonly client: Client;
  /** The calls an ID stands for. */
  resolve(id: string): readonly Call[] | undefined;
  close(): Promise<void>;
}

/** Starts a fake session on a free port of 127.0.0.1. */
export async function startFakeEngine(answer: Answer): Promise<FakeEngine> {
  const ids = new Map<string, Call[]>();
  const queries: Call[][] = [];
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    request.on("end", async () => {
      const send = (payload: unknown) => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify(payload));
      };
      try {
        const { query } = JSON.parse(body) as { query: string };
        const chain = expand(parseQuery(query), ids);
        const last = chain.at(-1)?.field;
        queries.push(chain);
        const value = await answer(chain);
        if (value === undefined && (last === "id" || last === "sync")) {
          // A new object: its ID stands for the calls that made it.
          const id = `fake-id-${ids.size + 1}`;
          ids.set(id, last === "id" ? chain.slice(0, -1) : chain);
          send({ data: { value: id } });
          return;
        }
        send({ data: { value: value ?? null } });
      } catch (error) {
        send({ data: null, errors: [{ message: error instanceof Error ? error.message : String(error) }] });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const token = "fake-session-token";
  const gql = new GraphQLClient(`http://127.0.0.1:${port}/query`, {
    headers: { Authorization: `Basic ${Buffer.from(`${token}:`).toString("base64")}` },
  });
  const connection = { getGQLClient: () => gql, setGQLClient: () => {}, resetClient: () => {} };
  const client = new Client(new Context([], connection as unknown as ConstructorParameters<typeof Context>[1]));
  return {
    port,
    token,
    queries,
    client,
    resolve: (id) => ids.get(id),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Replaces a leading `node(id:)` by the calls of that ID, when this server made it. */
function expand(chain: Call[], ids: ReadonlyMap<string, Call[]>): Call[] {
  const [first, ...rest] = chain;
  const known = first?.field === "node" && typeof first.args.id === "string" ? ids.get(first.args.id) : undefined;
  if (known) return [...known, ...rest];
  return chain;
}

/** Reads the SDK's queries: `{ a (k: v) { b { ... on T { c } } } }`, one chain of fields. */
export function parseQuery(query: string): Call[] {
  const calls: Call[] = [];
  let i = 0;
  const text = query.trim();
  while (i < text.length) {
    const rest = text.slice(i);
    const space = /^[\s{}]+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const fragment = /^\.\.\.\s*on\s+[A-Za-z_]\w*/.exec(rest);
    if (fragment) {
      i += fragment[0].length;
      continue;
    }
    const name = /^[A-Za-z_]\w*/.exec(rest);
    if (!name) throw new Error(`cannot read the query at ${JSON.stringify(rest.slice(0, 20))}`);
    i += name[0].length;
    while (text[i] === " ") i++;
    let args: Record<string, unknown> = {};
    if (text[i] === "(") {
      const end = closing(text, i);
      args = parseArgs(text.slice(i + 1, end));
      i = end + 1;
    }
    calls.push({ field: name[0], args });
  }
  return calls;
}

/** Index of the `)` that closes the `(` at `start`, strings skipped. */
function closing(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    } else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  throw new Error("unbalanced arguments");
}

/** GraphQL arguments (`path: "/p", permissions: 493, expect: ANY`) as an object; enum values as strings. */
function parseArgs(text: string): Record<string, unknown> {
  let json = "";
  for (let i = 0; i < text.length; ) {
    const c = text[i] ?? "";
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      json += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const word = /^[A-Za-z_]\w*/.exec(text.slice(i));
    if (word) {
      const after = text.slice(i + word[0].length).trimStart();
      const literal = ["true", "false", "null"].includes(word[0]);
      json += after.startsWith(":") || !literal ? JSON.stringify(word[0]) : word[0];
      i += word[0].length;
      continue;
    }
    json += c;
    i++;
  }
  return JSON.parse(`{${json}}`) as Record<string, unknown>;
}

/** The first call of a chain named `field`. */
export function callOf(chain: readonly Call[], field: string): Call | undefined {
  return chain.find((call) => call.field === field);
}

/** A GraphQL error the engine would send back, for `answer` to throw. */
export function engineError(message: string): Error {
  return new Error(message);
}
