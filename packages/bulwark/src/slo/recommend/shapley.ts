/**
 * Exact Shapley values of a scoring function with a handful of inputs.
 *
 * The value of a coalition S is f evaluated with the features in S at their actual values and the
 * others at their baseline values (interventional Shapley). All 2^k coalitions are evaluated once
 * (k ≤ 12), then φ_i = Σ_{S ⊆ N∖{i}} |S|! (k − |S| − 1)! / k! · (f(S ∪ {i}) − f(S)).
 * The values satisfy efficiency exactly: Σ φ_i = f(actual) − f(baseline).
 *
 * @example
 * const phi = shapley((x) => Math.min(x[0], x[1]), [99.5, 99.7], [99.9, 100]);
 * // phi sums to min(99.5, 99.7) − min(99.9, 100) = −0.4
 */
export function shapley(f: (x: readonly number[]) => number, actual: readonly number[], baseline: readonly number[]) {
  const k = actual.length;
  if (k !== baseline.length) throw new Error('actual and baseline must have the same length');
  if (k > 12) throw new Error('exact Shapley values are limited to 12 features');
  const size = 1 << k;
  const value = new Float64Array(size);
  const x = [...baseline];
  for (let mask = 0; mask < size; mask++) {
    for (let i = 0; i < k; i++) x[i] = mask & (1 << i) ? (actual[i] as number) : (baseline[i] as number);
    value[mask] = f(x);
  }
  const fact = [1];
  for (let i = 1; i <= k; i++) fact.push((fact[i - 1] as number) * i);
  const phi = new Array<number>(k).fill(0);
  for (let mask = 0; mask < size; mask++) {
    let s = 0;
    for (let m = mask; m; m &= m - 1) s++;
    for (let i = 0; i < k; i++) {
      if (mask & (1 << i)) continue;
      const w = ((fact[s] as number) * (fact[k - s - 1] as number)) / (fact[k] as number);
      phi[i] = (phi[i] as number) + w * ((value[mask | (1 << i)] as number) - (value[mask] as number));
    }
  }
  return phi;
}
