// k6 fixture: an exception in setup() ends the run before any VU starts, with exit code 107.
export function setup() {
  throw new Error('no tokens for this run');
}

export default function () {}
