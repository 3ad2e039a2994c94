/** A streamed `POST /v1/responses` read whole: the response, its text, and its events parsed. */
export interface ResponsesStreamEvent {
  event: string | undefined;
  // Events differ by type; tests read the fields they expect.
  data: Record<string, any>;
}

export async function postResponsesStream(baseURL: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(`${baseURL}/responses`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  const events: ResponsesStreamEvent[] = text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => ({ event: /^event: (.*)$/m.exec(block)?.[1], data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null') as Record<string, any> }));
  return { res, text, events };
}
