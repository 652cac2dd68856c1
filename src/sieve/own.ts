// Lookups of names a script chose (commands, tests, tags, comparators, character classes) in the
// interpreter's tables. A plain `table[name]` finds Object.prototype's members for names such as
// "constructor" or "__proto__", which a script can write like any other; only own entries count.

export function own<T>(table: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}
