/** Ids in OpenAI's style (`resp_…`, `msg_…`, `fc_…`, `rs_…`): a prefix and 48 random hex digits. */
import { randomBytes } from 'node:crypto';

/** `item` for input items of other kinds the gateway keeps (function call outputs, hosted tools' items). */
export type IdPrefix = 'resp' | 'msg' | 'fc' | 'rs' | 'cmp' | 'item';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(24).toString('hex')}`;
}
