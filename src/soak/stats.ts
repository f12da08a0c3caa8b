/** z for a two-sided 95 % interval. */
const Z95 = 1.959963984540054;

/**
 * Upper bound of the Wilson score interval (two-sided 95 % by default) for `k` mismatches in `n` checks.
 * `null` when nothing was checked: no checks prove nothing.
 */
export function wilsonUpper(k: number, n: number, z = Z95): number | null {
  if (!(n > 0) || !(k >= 0) || k > n) return null;
  const p = k / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const half = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return Math.min(1, (centre + half) / (1 + z2 / n));
}

/**
 * Exact (Clopper-Pearson) upper bound of a binomial rate, two-sided at confidence `1 - alpha`.
 * Slightly more conservative than Wilson; `null` when nothing was checked.
 */
export function clopperPearsonUpper(k: number, n: number, alpha = 0.05): number | null {
  if (!(n > 0) || !(k >= 0) || k > n) return null;
  if (k === n) return 1;
  // k = 0 has a closed form; otherwise solve I_p(k+1, n-k) = 1 - alpha/2 for p by bisection.
  if (k === 0) return 1 - (alpha / 2) ** (1 / n);
  const target = 1 - alpha / 2;
  let lo = k / n;
  let hi = 1;
  for (let i = 0; i < 100 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (regularizedBeta(mid, k + 1, n - k) < target) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** ln Γ(x), Lanczos approximation (g = 7, n = 9). */
function logGamma(x: number): number {
  const c = [
    0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406,
    12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const xx = x - 1;
  let a = c[0] ?? 0;
  const t = xx + 7.5;
  for (let i = 1; i < 9; i++) a += (c[i] ?? 0) / (xx + i);
  return 0.5 * Math.log(2 * Math.PI) + (xx + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized incomplete beta I_x(a, b) (continued fraction, modified Lentz). */
function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The fraction converges fast only below the mean; use the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) above it.
  if (x > (a + 1) / (a + b + 2)) return 1 - (front * betaFraction(1 - x, b, a)) / b;
  return (front * betaFraction(x, a, b)) / a;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-14) break;
  }
  return h;
}
