/**
 * Upgrades: stored Responses during a rolling deploy (old and new replicas on one Redis).
 *
 * Every build before beec3fa (2026-12-06), e.g. a1699b3 (2026-12-05 23:58), keeps each response
 * whole and expands `previous_response_id` as `[...previous.input, ...previous.response.output]`
 * (its plugins/responses/api/conversation.ts); its item references and `GET .../input_items` read
 * `record.input` the same way. The current build stores a follow-up as a *linked* record, whose
 * own turn is `ownInput` and which has no `input` at all: on purpose, so that an old replica
 * "fails on it rather than taking its one turn for the whole conversation". What it fails with is
 * `TypeError: previous.input is not iterable`: a 500 `internal_error`, `retryable: false`. Seen
 * with the real builds on one Redis: a new replica answered turns 1 and 2, the old one answered
 * turn 3 (previous_response_id = turn 2) with that 500. So for the whole rollout, every
 * conversation whose next turn lands on an old replica breaks, and its client is told not to retry.
 * Before its fix nothing could be done about it. Now `responses({ linkTurns: false })` keeps every
 * turn whole, as old replicas read it, for the length of such a rollout (docs/responses-api.md).
 *
 * The reader below is a1699b3's, a few lines; the records are the current build's.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { openStore, type Store } from '../../core/store/store.js';
import type { ResponseInputItem, ResponseObject } from '../../plugins/responses/protocol/types.js';
import { ResponseStore, type ResponseRecords } from '../../plugins/responses/store/response-store.js';

let store: Store;
beforeEach(async () => {
  store = await openStore('memory', silentLogger);
});
afterEach(() => store.close());

const userItem = (turn: number): ResponseInputItem => ({ id: `in_${turn}`, type: 'message', role: 'user', content: [{ type: 'input_text', text: `question ${turn}` }] });
const answer = (turn: number): ResponseObject => ({
  id: `resp_${turn}`,
  object: 'response',
  created_at: 1,
  status: 'completed',
  error: null,
  incomplete_details: null,
  model: 'm',
  output: [{ id: `out_${turn}`, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: `answer ${turn}`, annotations: [] }] }],
});

/** a1699b3's history for a follow-up: the stored record's input, then its output. */
function oldReplicaHistory(previous: { input: readonly ResponseInputItem[]; response: ResponseObject }): ResponseInputItem[] {
  return [...previous.input, ...previous.response.output];
}

/** Turns 1 and 2 answered by a new replica (turn 2 follows turn 1); turn 2's record as the store holds it. */
async function storedSecondTurn(linkTurns?: boolean): Promise<{ input: readonly ResponseInputItem[]; response: ResponseObject }> {
  const kv = store.kv<ResponseRecords>('responses');
  const responses = new ResponseStore(kv, { ttlMs: 30 * 86_400_000, maxBytes: 10_000_000, logger: silentLogger, ...(linkTurns === undefined ? {} : { linkTurns }) });
  await responses.save({ owner: null, response: answer(1), input: [userItem(1)], turnStart: 0 });
  const first = await responses.load('resp_1', null);
  await responses.save({ owner: null, response: answer(2), input: [userItem(1), ...answer(1).output, userItem(2)], turnStart: 2, follows: first });
  return (await kv.get('response:resp_2')) as unknown as { input: readonly ResponseInputItem[]; response: ResponseObject };
}

it('with `linkTurns: false`, a follow-up to a response the new build stored can be answered by a replica of the previous release', async () => {
  // Turn 3 (previous_response_id: resp_2) reaches an old replica, which reads the record as it is stored.
  expect(oldReplicaHistory(await storedSecondTurn(false)).map((item) => item.id)).toEqual(['in_1', 'out_1', 'in_2', 'out_2']);
});

it('with turns linked (the default), an old replica fails on the record rather than cutting the conversation short', async () => {
  const stored = await storedSecondTurn();
  expect(() => oldReplicaHistory(stored)).toThrow(TypeError);
});
