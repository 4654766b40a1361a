/** Tells each unknown model once per run (an import meets the same one in many sessions). */
export function unknownModelReporter(write: (line: string) => void): (models: Iterable<string>) => void {
  const told = new Set<string>();
  return (models) => {
    for (const model of models) {
      if (told.has(model)) continue;
      told.add(model);
      write(`mosaic: model "${model}" is not in the price table; its cost counts as 0\n`);
    }
  };
}
