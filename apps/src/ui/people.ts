import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

/** Display names by user id; an id with no name is shown as the id. */
export class People {
  constructor(private readonly names: Readonly<Record<string, string>> = {}) {}

  static async load(url: string | undefined): Promise<People> {
    if (!url) return new People();
    const response = await fetch(url, { credentials: 'include', cache: 'no-store' });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    const body = (await response.json()) as unknown;
    const names = Object.fromEntries(Object.entries(body ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    return new People(names);
  }

  nameOf(userId: string): string {
    return this.names[userId] ?? userId;
  }
}

export const PeopleContext = createContext(new People());

export function useName(userId: string | null): string {
  const people = useContext(PeopleContext);
  return userId === null ? '' : people.nameOf(userId);
}
