/**
 * An OpenAI-format embeddings upstream whose vectors the test controls: each input text maps to
 * the vector a table gives it (unknown texts get one far from all others), so paraphrases can be
 * made close and unrelated texts far, at exact cosine similarities. It can also fail or be slow.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MockEmbeddings {
  /** Base URL including `/v1`. */
  readonly baseURL: string;
  /** Texts embedded so far. */
  readonly inputs: string[];
  vectors: Map<string, number[]>;
  /** `fail`: answer 500; `slow`: answer after `delayMs`. */
  mode: 'ok' | 'fail' | 'slow';
  delayMs: number;
  close(): Promise<void>;
}

/** A unit vector at cosine `similarity` from the first axis, in `dimensions` dimensions (turned toward `axis`). */
export function at(similarity: number, dimensions = 8, axis = 1): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  vector[0] = similarity;
  vector[axis] = Math.sqrt(1 - similarity * similarity);
  return vector;
}

export async function startMockEmbeddings(dimensions = 8): Promise<MockEmbeddings> {
  let unknown = 0;
  const state: Omit<MockEmbeddings, 'baseURL' | 'close'> = { inputs: [], vectors: new Map(), mode: 'ok', delayMs: 0 };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (data: Buffer) => (raw += data.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw || '{}') as { input: string | string[]; model: string };
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      state.inputs.push(...inputs);
      const answer = () => {
        if (state.mode === 'fail') {
          res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'embeddings down', type: 'server_error' } }));
          return;
        }
        const data = inputs.map((text, index) => ({ object: 'embedding', index, embedding: state.vectors.get(text) ?? at(0, dimensions, 2 + (unknown++ % (dimensions - 2))) }));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, model: body.model, usage: { prompt_tokens: 1, total_tokens: 1 } }));
      };
      if (state.mode === 'slow') setTimeout(answer, state.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    baseURL: `http://127.0.0.1:${port}/v1`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
}
