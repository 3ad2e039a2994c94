/**
 * What an `image_url` content part costs in prompt tokens, per OpenAI's vision guide
 * (https://platform.openai.com/docs/guides/images-vision, "Calculating costs"):
 *
 * - Tile models (gpt-4o, gpt-4.1, o1/o3, and by default any other): `detail: "low"` is a flat base (85 tokens).
 *   Otherwise the image is scaled to fit 2048×2048, then down so its short side is at most 768 px,
 *   and each 512 px tile costs 170 tokens on top of the 85. The guide's worked examples: 1024×1024
 *   → 765 tokens, 2048×4096 → 1105 tokens. Images are not scaled up (measured API usage bills a
 *   128×64 image as one tile), so a small image is one tile. gpt-4o-mini uses the same rule with
 *   inflated numbers (2833 base, 5667 per tile) so that it bills like gpt-4o; o1/o3 use 75/150.
 *   Counts are exact only for families whose numbers developers' measurements of API usage agree
 *   with (gpt-4o, gpt-4o-mini, gpt-4.1, gpt-4-turbo, o3). o1 follows the guide but measures
 *   differently; gpt-5 and later are not in the guide's table as we could read it and get the
 *   85/170 rule. Both are reported inexact.
 * - Patch models (gpt-4.1-mini/nano, o4-mini, gpt-5-mini/nano): one token per 32 px patch, at most
 *   1536 patches (larger images are shrunk to fit), times a per-model multiplier. `detail` has no
 *   effect. These are marked inexact: developers measure multipliers that differ from the guide's
 *   (openai/openai-python#2851, OpenAI community threads), and we follow the guide.
 *
 * When the size is unknown (an `https:` URL, or a data URL we cannot read) we assume the guide's own
 * worked example, a 1024×1024 image, and say the count is inexact. `detail: "auto"` (the default)
 * lets the model choose; we count it as `high`, the upper bound, and say it is inexact.
 */
import { imageSizeFromDataUrl, type ImageSize } from './image-size.js';

export interface TokenEstimate {
  tokens: number;
  exact: boolean;
}

/** `confirmed`: measured API usage agrees with the guide's numbers, so a count by them is exact. */
interface TileRule { kind: 'tile'; base: number; tile: number; confirmed: boolean }
interface PatchRule { kind: 'patch'; multiplier: number }

const GPT_4O_TILES: TileRule = { kind: 'tile', base: 85, tile: 170, confirmed: true };
const DEFAULT_TILES: TileRule = { ...GPT_4O_TILES, confirmed: false };
/** Checked in order; the first pattern that matches the bare model id wins. */
const RULES: ReadonlyArray<readonly [RegExp, TileRule | PatchRule]> = [
  [/^gpt-4o-mini/, { kind: 'tile', base: 2833, tile: 5667, confirmed: true }],
  [/^(?:gpt-4o|chatgpt-4o|gpt-4-turbo)/, GPT_4O_TILES],
  [/^gpt-4\.1-mini/, { kind: 'patch', multiplier: 1.62 }],
  [/^gpt-4\.1-nano/, { kind: 'patch', multiplier: 2.46 }],
  [/^gpt-4\.1/, GPT_4O_TILES],
  [/^gpt-5-mini/, { kind: 'patch', multiplier: 1.62 }],
  [/^gpt-5-nano/, { kind: 'patch', multiplier: 2.46 }],
  [/^o4-mini/, { kind: 'patch', multiplier: 1.72 }],
  [/^o3(?:-pro)?(?:-\d|$)/, { kind: 'tile', base: 75, tile: 150, confirmed: true }],
  [/^o1(?:-pro)?(?:-\d|$)/, { kind: 'tile', base: 75, tile: 150, confirmed: false }],
];

/** The size assumed when the image cannot be read: the 1024×1024 example of OpenAI's guide. */
export const FALLBACK_IMAGE_SIZE: ImageSize = { width: 1024, height: 1024 };
const PATCH = 32;
const MAX_PATCHES = 1536;

export function imagePartTokens(model: string, imageUrl: unknown): TokenEstimate {
  const { url, detail } = readImageUrl(imageUrl);
  const rule = RULES.find(([pattern]) => pattern.test(model))?.[1] ?? DEFAULT_TILES;
  if (rule.kind === 'tile' && detail === 'low') return { tokens: rule.base, exact: rule.confirmed };
  const known = url === undefined ? undefined : imageSizeFromDataUrl(url);
  const size = known ?? FALLBACK_IMAGE_SIZE;
  if (rule.kind === 'patch') return { tokens: Math.ceil(patchCount(size) * rule.multiplier), exact: false };
  return { tokens: rule.base + rule.tile * tileCount(size), exact: rule.confirmed && known !== undefined && detail === 'high' };
}

/** Number of 512 px tiles after OpenAI's two downscaling steps. */
export function tileCount({ width, height }: ImageSize): number {
  let scale = Math.min(1, 2048 / Math.max(width, height));
  scale *= Math.min(1, 768 / (Math.min(width, height) * scale));
  return Math.ceil((width * scale) / 512) * Math.ceil((height * scale) / 512);
}

/** Number of 32 px patches, shrinking the image first when it would need more than 1536. */
export function patchCount({ width, height }: ImageSize): number {
  const patches = Math.ceil(width / PATCH) * Math.ceil(height / PATCH);
  if (patches <= MAX_PATCHES) return patches;
  // The guide: shrink by sqrt(budget × 32² / area), then once more so the width is a whole number of patches.
  const shrink = Math.sqrt((MAX_PATCHES * PATCH * PATCH) / (width * height));
  const columns = (width * shrink) / PATCH;
  const fit = Math.floor(columns) / columns;
  // The epsilon keeps 44.0000001 from becoming 45 patches through floating-point error.
  const rows = Math.ceil((height * shrink * fit) / PATCH - 1e-9);
  return Math.min(MAX_PATCHES, Math.floor(columns) * rows);
}

function readImageUrl(value: unknown): { url: string | undefined; detail: string } {
  if (typeof value === 'string') return { url: value, detail: 'auto' };
  if (typeof value !== 'object' || value === null) return { url: undefined, detail: 'auto' };
  const { url, detail } = value as { url?: unknown; detail?: unknown };
  return { url: typeof url === 'string' ? url : undefined, detail: typeof detail === 'string' ? detail : 'auto' };
}
