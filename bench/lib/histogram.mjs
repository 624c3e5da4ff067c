// A log-linear latency histogram in the spirit of HdrHistogram: exact below 512 ns, then 256
// buckets per power of two (at most 0.4 % relative error), fixed memory whatever the run length.
const SUB_BITS = 9;
const SUB = 1 << SUB_BITS; // values below this are exact
const HALF = SUB >> 1;
const BUCKETS = SUB + (32 - SUB_BITS) * HALF;

export class Histogram {
  constructor() {
    this.counts = new Float64Array(BUCKETS);
    this.total = 0;
    this.max = 0;
    this.sum = 0;
  }

  /** Records a value in nanoseconds. */
  record(ns) {
    let v = Math.max(0, Math.round(ns));
    if (v > 0xffffffff) v = 0xffffffff;
    this.counts[index(v)]++;
    this.total++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  merge(other) {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] += other.counts[i];
    this.total += other.total;
    this.sum += other.sum;
    this.max = Math.max(this.max, other.max);
    return this;
  }

  /** The value at percentile p (0–100), in ns: the middle of the bucket holding it. */
  percentile(p) {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(this.max, middle(i));
    }
    return this.max;
  }

  get mean() {
    return this.total === 0 ? NaN : this.sum / this.total;
  }

  toJSON() {
    const sparse = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i] > 0) sparse.push([i, this.counts[i]]);
    return { total: this.total, max: this.max, sum: this.sum, buckets: sparse };
  }

  static fromJSON(j) {
    const h = new Histogram();
    for (const [i, c] of j.buckets) h.counts[i] = c;
    h.total = j.total;
    h.max = j.max;
    h.sum = j.sum;
    return h;
  }
}

function index(v) {
  if (v < SUB) return v;
  const msb = 31 - Math.clz32(v);
  const shift = msb - (SUB_BITS - 1);
  return SUB + (shift - 1) * HALF + ((v >>> shift) - HALF);
}

function middle(i) {
  if (i < SUB) return i;
  const shift = Math.floor((i - SUB) / HALF) + 1;
  const sub = ((i - SUB) % HALF) + HALF;
  return sub * 2 ** shift + 2 ** (shift - 1);
}
