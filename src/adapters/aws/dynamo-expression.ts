/**
 * Placeholders for one DynamoDB expression. Every attribute name and value goes through
 * one, so reserved words (`status`, `size`) and key-like text never need thought.
 */
export class Expression {
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, unknown> = {};
  private readonly byName = new Map<string, string>();
  private count = 0;

  /** `#nX` for an attribute name (the same one each time it is asked for). */
  name(attribute: string): string {
    let placeholder = this.byName.get(attribute);
    if (!placeholder) {
      placeholder = `#n${this.byName.size}`;
      this.byName.set(attribute, placeholder);
      this.names[placeholder] = attribute;
    }
    return placeholder;
  }

  /** A document path such as `steps.#n3`, each part a placeholder. */
  path(...parts: string[]): string {
    return parts.map((part) => this.name(part)).join('.');
  }

  /** `:vX` for a value. */
  value(value: unknown): string {
    const placeholder = `:v${this.count++}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  /** The placeholders for a command's input; DynamoDB refuses an empty map, so none is left empty. */
  attributes(): {
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  } {
    return {
      ...(this.byName.size > 0 ? { ExpressionAttributeNames: this.names } : {}),
      ...(this.count > 0 ? { ExpressionAttributeValues: this.values } : {}),
    };
  }
}

/** `SET a, b REMOVE c ADD d` from the parts that are not empty. */
export function updateExpression(clauses: { set?: string[]; remove?: string[]; add?: string[] }): string {
  return Object.entries(clauses)
    .filter(([, actions]) => actions && actions.length > 0)
    .map(([clause, actions]) => `${clause.toUpperCase()} ${(actions as string[]).join(', ')}`)
    .join(' ');
}
