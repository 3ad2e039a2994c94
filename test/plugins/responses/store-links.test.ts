/**
 * A conversation continued by `previous_response_id`, turn after turn: each turn is kept once (a
 * record linked to the turns before it), with a whole record every LONGEST_CHAIN turns, so its
 * storage grows with the number of turns rather than with its square; a linked record expires
 * with the oldest record it needs; records kept before links existed are still read and followed.
 */
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { silentLogger, type Logger } from '../../../core/logger.js';
import { openStore, type Store } from '../../../core/store/store.js';
import type { ResponseInputItem, ResponseObject } from '../../../plugins/responses/protocol/types.js';
import { LONGEST_CHAIN, ResponseStore, type ResponseRecords, type StoredResponse } from '../../../plugins/responses/store/response-store.js';

let store: Store;
let warnings: string[];
const logger: Logger = { ...silentLogger, warn: (message) => void warnings.push(message), child: () => logger };

beforeEach(async () => {
  store = await openStore('memory', silentLogger);
  warnings = [];
});
afterEach(() => store.close());

const kv = () => store.kv<ResponseRecords>('responses');
const open = (options: Partial<ConstructorParameters<typeof ResponseStore>[1]> = {}) => new ResponseStore(kv(), { ttlMs: 60_000, maxBytes: 10_000_000, logger, ...options });

const userItem = (turn: number, text: string): ResponseInputItem => ({ id: `in_${turn}`, type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
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

/**
 * One turn as the front-end keeps it: the previous response's conversation and output, then the
 * new input, following the previous record (see api/conversation.ts).
 */
async function continueFrom(responses: ResponseStore, turn: number, previous: StoredResponse | undefined, text = `question ${turn}`): Promise<void> {
  const history = previous ? [...((await responses.itemsBefore(previous, null)) ?? []), ...previous.response.output] : [];
  await responses.save({ owner: null, response: answer(turn), input: [...history, userItem(turn, text)], turnStart: history.length, follows: previous });
}

async function conversation(responses: ResponseStore, turns: number, text?: (turn: number) => string): Promise<void> {
  let previous: StoredResponse | undefined;
  for (let turn = 1; turn <= turns; turn++) {
    await continueFrom(responses, turn, previous, text?.(turn));
    previous = await responses.load(`resp_${turn}`, null);
    expect(previous, `turn ${turn} kept`).toBeDefined();
  }
}

/** A record as the store holds it, whatever its kind. */
const raw = async (turn: number) => (await kv().get(`response:resp_${turn}`)) as { kind?: string; expiresAt: number; earlier?: string[] } | undefined;
const expectedItems = (turns: number) => Array.from({ length: turns }, (_, i) => i + 1).flatMap((turn) => [`in_${turn}`, ...(turn < turns ? [`out_${turn}`] : [])]);

describe('a conversation kept turn by turn', () => {
  it('keeps each turn once: storage grows with the turns, not with their square', async () => {
    const responses = open();
    const turns = 100;
    await conversation(responses, turns, (turn) => `question ${turn} ${'x'.repeat(1000)}`);
    let stored = 0;
    for (let turn = 1; turn <= turns; turn++) stored += JSON.stringify(await raw(turn)).length;
    // Each turn weighs about 1.2 KB. Kept whole every turn, the records held 1 + 2 + … + 100
    // turns (about 6 MB); linked, each turn once and a whole record every LONGEST_CHAIN + 1 turns.
    expect(stored).toBeLessThan(turns * 1200 * 5);
    // The follow-up of the last turn still reads every item, in order.
    const last = await responses.load(`resp_${turns}`, null);
    expect((await responses.itemsBefore(last!, null))?.map((item) => item.id)).toEqual(expectedItems(turns));
  });

  it('reads a follow-up from at most LONGEST_CHAIN + 1 records: a whole one, then linked ones', async () => {
    const responses = open();
    await conversation(responses, LONGEST_CHAIN + 3);
    const kinds: Array<string | undefined> = [];
    for (let turn = 1; turn <= LONGEST_CHAIN + 3; turn++) kinds.push((await raw(turn))?.kind);
    expect(kinds).toEqual(['whole', ...Array<string>(LONGEST_CHAIN).fill('linked'), 'whole', 'linked']);
    expect((await raw(LONGEST_CHAIN + 3))?.earlier).toEqual([`resp_${LONGEST_CHAIN + 2}`]);
    const whole = await responses.load(`resp_${LONGEST_CHAIN + 2}`, null);
    expect((await responses.itemsBefore(whole!, null))?.map((item) => item.id)).toEqual(expectedItems(LONGEST_CHAIN + 2));
  });

  it('links a turn only while the records it needs have most of the retention left, and expires it with them', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    onTestFinished(() => void vi.useRealTimers());
    const responses = open({ ttlMs: 1000 });
    await continueFrom(responses, 1, undefined);
    vi.setSystemTime(Date.now() + 50);
    await continueFrom(responses, 2, await responses.load('resp_1', null));
    expect(await raw(2)).toMatchObject({ kind: 'linked', earlier: ['resp_1'], expiresAt: (await raw(1))!.expiresAt });
    // Its own input is not `input`: a replica of a version before links fails on it rather than
    // taking its one turn for the whole conversation.
    expect(await raw(2)).not.toHaveProperty('input');
    // Past a tenth of the retention, the next turn is kept whole again, for a whole retention.
    vi.setSystemTime(Date.now() + 60);
    await continueFrom(responses, 3, await responses.load('resp_2', null));
    expect(await raw(3)).toMatchObject({ kind: 'whole', expiresAt: Date.now() + 1000 });
    // The linked turn goes with the record it needs, and so does its item.
    vi.setSystemTime((await raw(1))!.expiresAt + 1);
    expect(await responses.load('resp_1', null)).toBeUndefined();
    expect(await responses.load('resp_2', null)).toBeUndefined();
    expect(await responses.findItem('out_2', null)).toBeUndefined();
    const third = await responses.load('resp_3', null);
    expect((await responses.itemsBefore(third!, null))?.map((item) => item.id)).toEqual(expectedItems(3));
  });

  it('cannot expand a turn one of whose earlier records was deleted', async () => {
    const responses = open();
    await conversation(responses, 5);
    expect(await responses.delete('resp_3', null)).toBe(true);
    expect(await responses.itemsBefore((await responses.load('resp_5', null))!, null)).toBeUndefined();
    expect(await responses.itemsBefore((await responses.load('resp_2', null))!, null)).toEqual(expectedItems(2).map((id) => expect.objectContaining({ id })));
    // An item of a kept turn is still found by its reference.
    expect(await responses.findItem('out_4', null)).toMatchObject({ id: 'out_4' });
  });

  it('weighs a linked turn with the conversation behind it: one past the bound is not kept', async () => {
    const responses = open({ maxBytes: 6000 });
    let previous: StoredResponse | undefined;
    let turn = 0;
    while (warnings.length === 0 && turn < 20) {
      turn++;
      await continueFrom(responses, turn, previous, `question ${turn} ${'y'.repeat(1000)}`);
      previous = await responses.load(`resp_${turn}`, null);
    }
    expect(turn).toBeGreaterThan(2);
    expect(turn).toBeLessThan(7);
    expect(await raw(turn - 1)).toMatchObject({ kind: 'linked' });
    expect(await raw(turn)).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/too large to keep/)]);
  });

  it('reads and follows a record kept before records were linked; the turn after it is kept whole', async () => {
    const responses = open();
    const legacy = { owner: null, response: answer(1), input: [userItem(0, 'before'), userItem(1, 'question 1')], turnStart: 1 };
    await kv().set('response:resp_1', legacy as never, 60_000);
    const first = await responses.load('resp_1', null);
    expect(await responses.itemsBefore(first!, null)).toEqual(legacy.input);
    await continueFrom(responses, 2, first);
    expect(await raw(2)).toMatchObject({ kind: 'whole', turnStart: 3 });
    await continueFrom(responses, 3, await responses.load('resp_2', null));
    expect(await raw(3)).toMatchObject({ kind: 'linked', earlier: ['resp_2'] });
    expect((await responses.itemsBefore((await responses.load('resp_3', null))!, null))?.map((item) => item.id)).toEqual(['in_0', ...expectedItems(3)]);
  });
});
