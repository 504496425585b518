/**
 * A tiny SVG line chart for benchmark results (no dependencies): one line per series, log-scale y
 * when asked, axes with a few ticks, a legend.
 */
export interface Series {
  name: string;
  color: string;
  values: number[];
}

export function lineChart(o: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logY?: boolean;
}): string {
  const W = 640;
  const H = 400;
  const m = { l: 70, r: 150, t: 40, b: 50 };
  const n = Math.max(...o.series.map((s) => s.values.length));
  const all = o.series.flatMap((s) => s.values).filter((v) => Number.isFinite(v) && (!o.logY || v > 0));
  const floor = o.logY ? Math.max(Math.min(...all), 1e-6) : Math.min(0, ...all);
  const top = Math.max(...all);
  const fy = (v: number) => (o.logY ? Math.log10(Math.max(v, floor)) : v);
  const y0 = fy(floor);
  const y1 = fy(top) === y0 ? y0 + 1 : fy(top);
  const px = (i: number) => m.l + ((W - m.l - m.r) * i) / Math.max(1, n - 1);
  const py = (v: number) => H - m.b - ((H - m.t - m.b) * (fy(v) - y0)) / (y1 - y0);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<title>${o.title}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${o.title}</text>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`,
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">${o.xLabel}</text>`,
    `<text x="18" y="${(m.t + H - m.b) / 2}" text-anchor="middle" transform="rotate(-90 18 ${(m.t + H - m.b) / 2})">${o.yLabel}</text>`,
  ];
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const i = Math.round(f * (n - 1));
    parts.push(`<text x="${px(i)}" y="${H - m.b + 16}" text-anchor="middle">${i + 1}</text>`);
    const yv = o.logY ? 10 ** (y0 + f * (y1 - y0)) : y0 + f * (y1 - y0);
    parts.push(`<text x="${m.l - 6}" y="${py(yv) + 4}" text-anchor="end">${Number(yv.toPrecision(2))}</text>`);
    parts.push(`<line x1="${m.l}" y1="${py(yv)}" x2="${W - m.r}" y2="${py(yv)}" stroke="#ddd"/>`);
  }
  o.series.forEach((s, k) => {
    const pts = s.values.map((v, i) => `${px(i).toFixed(1)},${py(v).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts}"/>`);
    parts.push(`<rect x="${W - m.r + 12}" y="${m.t + k * 20}" width="14" height="4" fill="${s.color}"/>`);
    parts.push(`<text x="${W - m.r + 32}" y="${m.t + k * 20 + 6}">${s.name}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
