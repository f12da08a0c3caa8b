import { type MismatchDescriptor, type MismatchKind, ttlClassOf } from '../../metrics/index.js';
import type { MismatchClass } from './classify.js';
import { keyPattern } from './keyPattern.js';
import type { KeyPair, Observation } from './observe.js';

/**
 * What a confirmed mismatch leaves the sampler as: its db, its key's pattern (never the key), both
 * types and TTL classes, and its kind (a `ttl` difference split into a TTL the target dropped and one
 * that differs). Pure.
 */
export function describeMismatch(pair: KeyPair, cls: MismatchClass, obs: Observation): MismatchDescriptor {
  return {
    db: pair.db,
    // A target key outside the dbMap has no legacy name: its own is generalised.
    pattern: keyPattern(pair.db === null ? pair.targetKey : pair.legacyKey),
    kind: kindOf(cls, obs),
    legacyType: obs.legacy.type,
    targetType: obs.target.type,
    legacyTtl: ttlClassOf(obs.legacy.pttl),
    targetTtl: ttlClassOf(obs.target.pttl),
  };
}

function kindOf(cls: MismatchClass, obs: Observation): MismatchKind {
  if (cls !== 'ttl') return cls;
  return obs.legacy.pttl >= 0 && obs.target.pttl === -1 ? 'ttlDropped' : 'ttlDiffers';
}
