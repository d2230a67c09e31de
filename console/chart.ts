const SVG = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

/**
 * A horizontal bar chart as inline SVG (DOM APIs only, so the page's CSP holds): one bar per figure,
 * negative values to the left of the zero line. Titled and described for screen readers; the numbers are
 * also in the table next to it.
 */
export function barChart(title: string, bars: Array<{ label: string; value: number }>): SVGSVGElement {
  const width = 640;
  const rowHeight = 28;
  const labelWidth = 180;
  const height = bars.length * rowHeight + 20;
  const max = Math.max(1e-9, ...bars.map((bar) => Math.abs(bar.value)));
  const hasNegative = bars.some((bar) => bar.value < 0);
  const plot = width - labelWidth - 90;
  const zero = labelWidth + (hasNegative ? plot / 2 : 0);
  const scale = (hasNegative ? plot / 2 : plot) / max;

  const titleId = `chart-${Math.random().toString(36).slice(2)}`;
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-labelledby": titleId,
    class: "chart",
  });
  const titleElement = svg("title", { id: titleId });
  titleElement.textContent = `${title}: ${bars.map((bar) => `${bar.label} ${bar.value}`).join(", ")}`;
  root.append(titleElement);
  bars.forEach((bar, index) => {
    const y = 10 + index * rowHeight;
    const length = Math.abs(bar.value) * scale;
    const label = svg("text", { x: labelWidth - 8, y: y + 17, "text-anchor": "end", class: "chart-label" });
    label.textContent = bar.label;
    const rect = svg("rect", {
      x: bar.value < 0 ? zero - length : zero,
      y: y + 4,
      width: Math.max(length, 1),
      height: rowHeight - 10,
      class: bar.value < 0 ? "bar negative" : "bar",
    });
    const value = svg("text", {
      x: (bar.value < 0 ? zero : zero + length) + 6,
      y: y + 17,
      class: "chart-value",
    });
    // `|| 0`: a zero withdrawal or fee, negated, is -0.
    value.textContent = (bar.value || 0).toLocaleString("en", { maximumFractionDigits: 2 });
    root.append(label, rect, value);
  });
  root.append(svg("line", { x1: zero, x2: zero, y1: 4, y2: height - 4, class: "axis" }));
  return root;
}
