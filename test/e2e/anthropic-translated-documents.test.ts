/**
 * A Messages request with documents, translated for an OpenAI-format upstream. The gateway's rule:
 * whatever the translation leaves out is named in `x-gateway-dropped` (or refused); nothing the
 * model should read is lost without a word. Before its fix a document's `context` (and a text
 * document's `title`) never reached the model and `citations` were ignored, all without a word.
 * Now title and context go before the document as text, and citations are refused by default
 * (plugins/anthropic/protocol/to-openai-request.ts `userParts`).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { completion, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
const post = (body: unknown) =>
  fetch(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: JSON.stringify(body) });

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { oai: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());


describe("a document's title and context", () => {
  // https://platform.claude.com/docs/en/build-with-claude/citations: "title and context are
  // optional fields that will be passed to the model but not used towards cited content. title is
  // limited in length so you may find the context field to be useful in storing any document
  // metadata as text or stringified json."
  it('reach the model, before the text of a plain-text document', async () => {
    upstream.enqueue({ body: completion({ content: 'It was founded in 2020.' }) });
    const res = await post({
      model: 'oai/gpt-4o',
      max_tokens: 200,
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'document',
              source: { type: 'text', media_type: 'text/plain', data: 'The company was founded in 2020.' },
              title: 'ACME annual report',
              context: 'Confidential. Figures are for ACME Europe only, not the group.',
            },
            { type: 'text', text: 'Which company is this about, and what do its figures cover?' },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    const dropped = res.headers.get('x-gateway-dropped') ?? '';
    // Before its fix: the upstream got only the document's text; the header was absent.
    expect(dropped).toBe('');
    expect(upstream.requests.at(-1)!.body).toMatchObject({
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Document: ACME annual report\nConfidential. Figures are for ACME Europe only, not the group.\n\nThe company was founded in 2020.' }, { type: 'text' }] }],
    });
  });

  it("reach the model, before a PDF (context is not the file's name)", async () => {
    upstream.enqueue({ body: completion({ content: 'ok' }) });
    const res = await post({
      model: 'oai/gpt-4o',
      max_tokens: 200,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' }, title: 'report.pdf', context: 'Draft 3: the numbers in section 2 are estimates.' },
            { type: 'text', text: 'Summarize.' },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(upstream.requests.at(-1)!.body).toMatchObject({
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Document: report.pdf\nDraft 3: the numbers in section 2 are estimates.' }, { type: 'file', file: { filename: 'report.pdf' } }, { type: 'text', text: 'Summarize.' }] }],
    });
  });
});

describe('citations asked of a document', () => {
  // https://platform.claude.com/docs/en/build-with-claude/citations: "Provide document(s) and
  // enable citations: ... set citations.enabled=true on each of your documents." An answer from an
  // OpenAI-format upstream has no citations: the client asked for them and gets none without a word.
  it('are refused when the upstream cannot give them (or, with unsupportedParams: drop, named in x-gateway-dropped)', async () => {
    upstream.enqueue({ body: completion({ content: 'Founded in 2020.' }) });
    const res = await post({
      model: 'oai/gpt-4o',
      max_tokens: 200,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'The company was founded in 2020.' }, citations: { enabled: true } },
            { type: 'text', text: 'When was it founded? Cite the source.' },
          ],
        },
      ],
    });
    // Refused by default (the provider's unsupportedParams policy), in Anthropic's terms, naming what.
    expect(res.status).toBe(400);
    const json = (await res.json()) as { type: string; error: { type: string; message: string } };
    expect(json.type).toBe('error');
    expect(json.error.message).toContain('citations are only available with an Anthropic provider');
    expect(upstream.requests).toHaveLength(0);
  });
});
