/**
 * A session's channels, in the order added: the part of `Set<string>` sessions use. Most
 * sessions only ever hold their own user channel, and a `Set` costs about 200 bytes even for one
 * string, so the first channel is kept in a field and a `Set` is made for a second
 * (memory per idle connection).
 */
export class ChannelSet implements Iterable<string> {
  private first: string | undefined;
  private more: Set<string> | undefined;

  get size(): number {
    return this.more ? this.more.size : this.first === undefined ? 0 : 1;
  }

  has(channel: string): boolean {
    return this.more ? this.more.has(channel) : this.first === channel;
  }

  add(channel: string): this {
    if (this.more) this.more.add(channel);
    else if (this.first === undefined) this.first = channel;
    else if (this.first !== channel) this.more = new Set([this.first, channel]);
    return this;
  }

  delete(channel: string): boolean {
    if (this.more) return this.more.delete(channel);
    if (this.first !== channel) return false;
    this.first = undefined;
    return true;
  }

  *[Symbol.iterator](): Iterator<string> {
    if (this.more) yield* this.more;
    else if (this.first !== undefined) yield this.first;
  }
}
