/** "1 object", "2 objects": a count with its noun in the form the count takes. */
export function plural(count: number, singular: string, pluralForm = singular + "s"): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
