/**
 * Deterministic A/B assignment: the same seed (`${journeyId}:${customerId}`) always lands in the same arm,
 * in the workflow and in any replay of it. Pure: no crypto module, no Math.random().
 *
 * Changing the hash reshuffles every running experiment: the bucket values are pinned in the unit tests.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv1aByte(hash: number, byte: number): number {
  return Math.imul(hash ^ byte, FNV_PRIME);
}

/** FNV-1a over the UTF-8 bytes of `text` (so the value matches other languages hashing the same string). */
function fnv1aUtf8(text: string): number {
  let hash = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) {
    let cp = text.codePointAt(i) ?? 0;
    if (cp > 0xffff)
      i++; // astral: two UTF-16 units
    else if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // lone surrogate: encode as U+FFFD, like TextEncoder
    if (cp < 0x80) {
      hash = fnv1aByte(hash, cp);
    } else if (cp < 0x800) {
      hash = fnv1aByte(hash, 0xc0 | (cp >> 6));
      hash = fnv1aByte(hash, 0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      hash = fnv1aByte(hash, 0xe0 | (cp >> 12));
      hash = fnv1aByte(hash, 0x80 | ((cp >> 6) & 0x3f));
      hash = fnv1aByte(hash, 0x80 | (cp & 0x3f));
    } else {
      hash = fnv1aByte(hash, 0xf0 | (cp >> 18));
      hash = fnv1aByte(hash, 0x80 | ((cp >> 12) & 0x3f));
      hash = fnv1aByte(hash, 0x80 | ((cp >> 6) & 0x3f));
      hash = fnv1aByte(hash, 0x80 | (cp & 0x3f));
    }
  }
  return hash >>> 0;
}

/** MurmurHash3's 32-bit finaliser: spreads FNV's weak low-bit avalanche over all 32 bits. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A deterministic, well-mixed number in [0, 1) for a seed string. */
export function splitBucket(seed: string): number {
  return fmix32(fnv1aUtf8(seed)) / 0x1_0000_0000;
}

/**
 * Picks an arm with probability proportional to its weight, deterministically for the seed.
 * Arms with a non-positive or non-finite weight are never chosen. Throws when no arm can be chosen.
 */
export function chooseArm<T extends { weight: number }>(arms: T[], seed: string): T {
  const eligible = arms.filter((a) => Number.isFinite(a.weight) && a.weight > 0);
  const total = eligible.reduce((sum, a) => sum + a.weight, 0);
  const last = eligible[eligible.length - 1];
  if (last === undefined || !(total > 0)) throw new Error('chooseArm: no arm with a positive weight');
  const point = splitBucket(seed) * total;
  let cumulative = 0;
  for (const arm of eligible) {
    cumulative += arm.weight;
    if (point < cumulative) return arm;
  }
  return last; // floating-point rounding at the very top of the range
}
