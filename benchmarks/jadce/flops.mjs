// Analytic FLOP counts of the JADCE methods.

/**
 * Real FLOPs per iteration / layer / sweep of each method (8 real flops per complex multiply-add); NaN when unknown.
 * @param {string} method
 * @param {{ L: number, N: number, M: number, r?: number }} o  r: DR rank of the proposed network (default 8)
 */
export function methodFlops(method, o) {
  const { L, N, M } = o;
  const r = o.r ?? 8;
  switch (method) {
    case 'fista':
    case 'amp-mmv':
    case 'em-bg-amp':
      return 16 * L * N * M + 10 * N * M;
    case 'admm':
      return 16 * L * N * M + 8 * L * L * M + 10 * N * M;
    case 'sbl':
      return 8 * L * L * N + 8 * L * N * M + 8 * L * L * M + 8 * L * L * N + Math.round((8 / 3) * (2 * L) ** 3);
    case 'cov-ml':
      return N * 24 * L * L;
    case 'lista-gs':
    case 'alista-gs':
      return 16 * L * N * M + 8 * N * M;
    case 'proposed':
    case 'proposed-noem':
    case 'proposed-fixed':
    case 'proposed-noem-fixed':
      return 16 * L * N * r + 12 * N * r + 120 * N;
    case 'proposed-nodr':
      return 16 * L * N * M + 12 * N * M + 120 * N;
    default:
      return Number.NaN;
  }
}
