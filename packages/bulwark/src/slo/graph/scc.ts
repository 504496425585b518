/**
 * Strongly connected components (Tarjan), iterative so a 5,000-service estate cannot overflow the
 * stack. Components come out in reverse topological order of the condensation (a component is
 * emitted after every component it can reach).
 */
export function stronglyConnectedComponents(
  nodes: Iterable<string>,
  successors: (node: string) => readonly string[],
): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;

  for (const start of nodes) {
    if (index.has(start)) continue;
    // Each frame: the node and the position in its successor list.
    const frames: Array<{ node: string; succ: readonly string[]; i: number }> = [];
    const open = (node: string) => {
      index.set(node, next);
      low.set(node, next);
      next++;
      stack.push(node);
      onStack.add(node);
      frames.push({ node, succ: successors(node), i: 0 });
    };
    open(start);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1] as { node: string; succ: readonly string[]; i: number };
      if (frame.i < frame.succ.length) {
        const w = frame.succ[frame.i++] as string;
        if (!index.has(w)) open(w);
        else if (onStack.has(w)) low.set(frame.node, Math.min(low.get(frame.node) as number, index.get(w) as number));
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node) as number, low.get(frame.node) as number));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop() as string;
          onStack.delete(w);
          component.push(w);
        } while (w !== frame.node);
        components.push(component);
      }
    }
  }
  return components;
}

/** Components that are cycles: more than one member, or one member with an edge to itself. */
export function cycles(components: string[][], successors: (node: string) => readonly string[]): string[][] {
  return components.filter((c) => c.length > 1 || successors(c[0] as string).includes(c[0] as string));
}
