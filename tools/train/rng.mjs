// Seeded PRNG shared by the data preparation and the FIM evaluation, so that a seed names the same
// sequence in both (mulberry32: 32-bit state, uniform in [0, 1), fast and good enough for splits).
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
